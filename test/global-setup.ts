/**
 * Runs once before every suite: generates the fixtures up front, so that parallel test files
 * do not each encode the same sources at the same time on a 2-core machine.
 */
import { generateAllFixtures } from '../fixtures/all-fixtures.ts';

export async function setup(): Promise<void> {
  await generateAllFixtures();
}
