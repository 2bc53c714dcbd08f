/**
 * ffprobe's ratios: frame rates and time bases ("30000/1001", "1/15360") and aspect ratios
 * ("4:3"). "0/0", "0:1", "N/A" and absent all mean unknown.
 */
export function parseRatio(text: string | undefined): [number, number] | undefined {
  const match = text === undefined ? null : /^(\d+)[/:](\d+)$/.exec(text);
  const num = Number(match?.[1]);
  const den = Number(match?.[2]);
  return num > 0 && den > 0 ? [num, den] : undefined;
}
