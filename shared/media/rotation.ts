/** Clockwise degrees that turn a stored picture upright (ffprobe's display-matrix rotation, negated). */
import { z } from 'zod';

export const Rotation = z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]);
export type Rotation = z.infer<typeof Rotation>;
