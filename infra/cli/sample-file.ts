/** The bundled sample `npm start` processes when no file is given. */
import { imageFixture } from '../../fixtures/images.ts';

export function sampleFile(): Promise<string> {
  return imageFixture('photo.jpg');
}
