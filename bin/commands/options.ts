import { InvalidArgumentError } from 'commander';

/** A whole number ≥ 1 for an option such as --limit; anything else is refused, saying what is valid. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return n;
}
