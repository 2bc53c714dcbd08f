import { open } from 'node:fs/promises';
import { SNIFF_BYTES } from '../../shared/media/sniff-media-type.ts';

/** The first bytes of a file, as the splitter reads them from storage to sniff the type. */
export async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path);
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
