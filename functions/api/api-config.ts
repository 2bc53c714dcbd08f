import type { z } from 'zod';
import type { ApiEnv } from '../../shared/config.ts';

export type ApiConfig = z.infer<typeof ApiEnv>;
