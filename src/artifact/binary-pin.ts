import { ArtifactError } from '../domain/errors.ts';
import type { TrustPolicy } from '../inputs/trust.ts';

/** The `sha256` input, when given, must be the binary's hash, wherever the binary came from. */
export function checkBinaryPin(
  trust: TrustPolicy,
  binaryName: string,
  sha256: string,
  log: (line: string) => void,
): void {
  if (!trust.sha256) return;
  if (trust.sha256 !== sha256) {
    throw new ArtifactError(
      `sha256: the binary ${binaryName} has sha256 ${sha256}, not the ${trust.sha256} given`,
    );
  }
  log(`sha256 input matches the binary`);
}
