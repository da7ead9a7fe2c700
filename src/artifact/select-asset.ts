import { ArtifactError } from '../domain/errors.ts';

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Shell-style: `*` any run of characters, `?` one, `[abc]` / `[!abc]` a class. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * The one asset the `artifact` input names: an exact name, or a glob that
 * must match exactly one asset. Checksums files and signatures never count
 * as the plugin, so `acme_*` does not also pick up `acme_1.0.0_SHA256SUMS`.
 */
export function selectAsset(names: readonly string[], pattern: string, where: string): string {
  if (!isGlob(pattern)) {
    if (names.includes(pattern)) return pattern;
    throw new ArtifactError(
      `artifact: ${where} has no asset named ${pattern}; it has: ${names.join(', ') || 'none'}`,
    );
  }
  const regexp = globToRegExp(pattern);
  const matches = names.filter((name) => regexp.test(name) && !isVerificationFile(name));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new ArtifactError(
      `artifact: no asset of ${where} matches ${pattern}; it has: ${names.join(', ') || 'none'}`,
    );
  }
  throw new ArtifactError(
    `artifact: ${pattern} matches ${matches.length} assets of ${where} (${matches.join(', ')}); make it match one`,
  );
}

function isVerificationFile(name: string): boolean {
  return /(SHA256SUMS|checksums[^/]*\.txt|\.sha256(sum)?|\.sig|\.asc|\.pem|\.sigstore(\.json)?|\.intoto\.jsonl)$/i.test(
    name,
  );
}
