import { describe, expect, it } from 'vitest';
import { displayUrl, redactUrls, urlSecrets } from '../../../src/report/redact.ts';

describe('displayUrl', () => {
  it('hides user-info, query and fragment, and marks where they were', () => {
    expect(displayUrl('https://u:p@h.test:8443/a/b.zip?X-Amz-Signature=s&token=t#f')).toBe(
      'https://***@h.test:8443/a/b.zip?…',
    );
    expect(displayUrl('https://TOKEN@h.test/a')).toBe('https://***@h.test/a');
    expect(displayUrl('https://u:p@ss@h.test')).toBe('https://***@h.test');
  });

  it('never shows a host the URL does not go to', () => {
    // The WHATWG parser reads a backslash as a slash: the host is evil.test.
    expect(displayUrl('https://evil.test\\@good.test/x')).toBe('https://evil.test\\@good.test/x');
  });

  it('leaves a URL with nothing to hide exactly as given', () => {
    expect(displayUrl('https://h.test/a%20b/c.zip')).toBe('https://h.test/a%20b/c.zip');
  });

  it('hides what could be credentials in text that is no valid URL too', () => {
    expect(displayUrl('https://u:p@[bad/x?token=t')).toBe('https://***@[bad/x?…');
  });
});

describe('redactUrls', () => {
  it('rewrites every URL in a line and nothing else', () => {
    expect(
      redactUrls('download of https://a:b@x.test/f?sig=1 failed; see http://y.test/ok (retry)'),
    ).toBe('download of https://***@x.test/f?… failed; see http://y.test/ok (retry)');
  });
});

describe('urlSecrets', () => {
  it('finds the password as typed and decoded, or a lone user name', () => {
    expect(urlSecrets('https://user:p%40ss@h.test/{version}.zip')).toEqual(['p%40ss', 'p@ss']);
    expect(urlSecrets('https://ghp_abc123@h.test/x')).toEqual(['ghp_abc123']);
    expect(urlSecrets('acme_{version}_{os}_{arch}.zip')).toEqual([]);
    expect(urlSecrets('https://user:@h.test/x')).toEqual([]);
  });
});
