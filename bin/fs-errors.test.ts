import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSystemMessage } from './fs-errors.ts';

describe('fileSystemMessage', () => {
  it('names the code, the call and the path of an error a user can fix', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rosetta-fs-errors-'));
    const file = path.join(dir, 'afile');
    writeFileSync(file, 'x');
    let err: unknown;
    try {
      mkdirSync(path.join(file, 'sub'));
    } catch (e) {
      err = e;
    }
    expect(fileSystemMessage(err)).toBe(`ENOTDIR: cannot mkdir ${path.join(file, 'sub')}: a folder on the path is a file`);
    expect(fileSystemMessage(Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write' }))).toBe('ENOSPC: cannot write: no space left on the device');
  });

  it('leaves everything else (a bug) to be printed with its stack', () => {
    expect(fileSystemMessage(new TypeError('x is undefined'))).toBeUndefined();
    expect(fileSystemMessage(Object.assign(new Error('x'), { code: 'ECONNRESET', syscall: 'read' }))).toBeUndefined();
  });
});
