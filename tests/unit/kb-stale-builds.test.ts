import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleBuilds } from '../../kb/build.js';

describe('temporary files of killed builds', () => {
  it('are removed; a running build\'s file, the KB and unrelated files stay', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-stale-'));
    const out = path.join(dir, 'kb.sqlite');
    // A pid that has exited: a child that ran and is gone.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const files = {
      kb: 'kb.sqlite',
      dead: `kb.sqlite.tmp-${gone}-1796150280737`,
      deadJournal: `kb.sqlite.tmp-${gone}-1796150280737-journal`,
      running: `kb.sqlite.tmp-${process.pid}-1796150281609`,
      other: 'kb.sqlite.tmp-notes.txt',
    };
    for (const f of Object.values(files)) fs.writeFileSync(path.join(dir, f), 'x');
    expect(removeStaleBuilds(out).sort()).toEqual([files.dead, files.deadJournal].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([files.kb, files.other, files.running].sort());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
