// The dependency rules of docs/architecture.md, proven. Each fixture plants violations of one
// rule and is linted as if it lived where its header says: every line ending in `// planted` must
// be reported by that rule, and nothing else may be reported, so a zone that silently matches
// nothing (a path that no longer resolves, a moved folder) fails here. The tree breaks none.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const ARCHITECTURE_RULES = new Set([
  'import-x/no-restricted-paths',
  'import-x/no-unresolved',
  'import-x/no-nodejs-modules',
]);

interface Fixture {
  name: string;
  livesAt: string;
  rule: string;
  /** Words of the zone's message, which tell the intended zone from the others. */
  saying: string | undefined;
  code: string;
  planted: number[];
}

interface Zone {
  target: string | string[];
  from: string | string[];
  except?: string[];
  message: string;
}

function readFixture(name: string): Fixture {
  const code = readFileSync(join(FIXTURES, name), 'utf8');
  const livesAt = /Lives at: (\S+)/.exec(code)?.[1];
  const breaks = /Breaks: (\S+)(?: — (.+?))?(?: -->)?$/m.exec(code);
  if (livesAt === undefined || breaks?.[1] === undefined) {
    throw new Error(`${name}: the header names no path to live at or no rule`);
  }
  const planted = code
    .split('\n')
    .flatMap((line, index) => (line.endsWith('// planted') ? [index + 1] : []));
  return { name, livesAt, rule: breaks[1], saying: breaks[2], code, planted };
}

const fixtures = readdirSync(FIXTURES).sort().map(readFixture);
const eslint = new ESLint({ cwd: ROOT });

async function zones(): Promise<Zone[]> {
  const config = (await eslint.calculateConfigForFile(join(ROOT, 'client/src/main.ts'))) as {
    rules: Record<string, [unknown, { zones: Zone[] }]>;
  };
  return config.rules['import-x/no-restricted-paths']![1].zones;
}

describe('lint reports every planted violation of the dependency rules', () => {
  // The first lint loads the parsers and the resolver, seconds on a busy machine.
  it.each(fixtures)('$name', { timeout: 60_000 }, async (fixture) => {
    expect(fixture.planted.length, 'a fixture plants at least one violation').toBeGreaterThan(0);
    expect(existsSync(join(ROOT, fixture.livesAt)), 'a fixture pretends to be a new file').toBe(
      false,
    );

    const [result] = await eslint.lintText(fixture.code, {
      filePath: join(ROOT, fixture.livesAt),
    });
    const reported = result!.messages.map((message) => ({
      line: message.line,
      rule: message.ruleId,
      message: message.message,
    }));

    expect(reported.map(({ line, rule }) => ({ line, rule }))).toEqual(
      fixture.planted.map((line) => ({ line, rule: fixture.rule })),
    );
    for (const { message } of reported) expect(message).toContain(fixture.saying ?? '');
  });

  it('every zone has a fixture that breaks it', async () => {
    const saying = fixtures.flatMap((fixture) => fixture.saying ?? []);
    const unproven = (await zones())
      .map((zone) => zone.message)
      .filter((message) => !saying.some((words) => message.includes(words)));
    expect(unproven).toEqual([]);
  });

  it('every folder and file a zone names exists', async () => {
    const named = (await zones()).flatMap((zone) => {
      const from = [zone.from].flat();
      const except =
        from.length === 1 ? (zone.except ?? []).map((path) => join(from[0]!, path)) : [];
      return [...[zone.target].flat(), ...from, ...except];
    });
    const missing = named
      .map((path) => path.replace(/^\*\*\//, '').replace(/\/\*\*$/, ''))
      .filter((path) => !/[*?!()[\]{}]/.test(path))
      .filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});

describe('the tree keeps the dependency rules', () => {
  it('lint reports no architecture problem in any file', { timeout: 120_000 }, async () => {
    const architecture = new ESLint({
      cwd: ROOT,
      ruleFilter: ({ ruleId }) => ARCHITECTURE_RULES.has(ruleId),
    });
    const problems = (await architecture.lintFiles(['.'])).flatMap((result) =>
      result.messages.map(
        (message) =>
          `${relative(ROOT, result.filePath)}:${message.line} ${message.ruleId}: ${message.message}`,
      ),
    );
    expect(problems).toEqual([]);
  });
});
