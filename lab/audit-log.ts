// Reads a lab server's file audit log, so a test can prove what was written.
import { readFile } from 'node:fs/promises';
import type { ApiCall } from './server-http.ts';

export interface AuditRequest {
  operation: string;
  path: string;
}

/** Request entries only: each API call appears once as a request and once as a response. */
export async function auditRequests(file: string): Promise<AuditRequest[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const entries: AuditRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const parsed = JSON.parse(line) as {
      type?: string;
      request?: { operation?: string; path?: string };
    };
    if (parsed.type === 'request') {
      entries.push({
        operation: parsed.request?.operation ?? '',
        path: parsed.request?.path ?? '',
      });
    }
  }
  return entries;
}

export function writes(entries: AuditRequest[]): AuditRequest[] {
  return entries.filter((e) => ['create', 'update', 'delete'].includes(e.operation));
}

/** The `audit "file"` stanza of a server configuration. */
export function auditStanza(file: string): string {
  return `audit "file" "lab" {\n  options {\n    file_path = "${file}"\n  }\n}\n`;
}

/** Vault reads no audit device from its configuration: the file device is enabled through the API. */
export async function enableFileAudit(api: ApiCall, file: string): Promise<void> {
  await api('PUT', 'sys/audit/lab', { type: 'file', options: { file_path: file } });
}
