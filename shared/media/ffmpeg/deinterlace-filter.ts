/**
 * Deinterlacing, for sources coded as fields (camcorders, broadcast captures): every rung and
 * every still would otherwise show combing on motion, and scaling would smear the fields into
 * each other. bwdif (motion-adaptive, from yadif and w3fdif) makes one frame per frame
 * (send_frame), so frame counts and timestamps stay the source's; parity comes from the stream.
 */

/** A filter (with a trailing comma, to put at the head of a chain) when `interlaced`, else ''. */
export function deinterlaceFilter(interlaced: boolean): string {
  return interlaced ? 'bwdif=mode=send_frame:parity=auto:deint=all,' : '';
}
