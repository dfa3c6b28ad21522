// The import boundaries of eslint.config.js bite: a feature importing another
// feature, or shared/ importing a feature, is a lint error; a feature
// composing the conversation feature (chat, compare) is not.

import { ESLint } from 'eslint'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const web = path.resolve(import.meta.dirname, '..')
const eslint = new ESLint({ cwd: web })

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(web, file) })
  return r.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message)
}

// Loading the config and the TypeScript parser takes seconds on a busy machine.
describe('import boundaries', { timeout: 120_000 }, () => {
  it('a feature importing another feature fails lint', async () => {
    const errs = await boundaryErrors('src/features/compare/probe.ts', "import { constitutionQueries } from '../constitutions/api'\nexport const x = constitutionQueries\n")
    expect(errs).toHaveLength(1)
    expect(errs[0]).toContain('features/compare may not import another feature')
  })
  it('shared/ importing a feature fails lint', async () => {
    const errs = await boundaryErrors('src/shared/probe.ts', "import { chatQueries } from '../features/chat/api'\nexport const x = chatQueries\n")
    expect(errs).toHaveLength(1)
  })
  it('chat may compose the conversation feature, and a feature its own files', async () => {
    expect(await boundaryErrors('src/features/chat/probe.ts', "import { Composer } from '../conversation/Composer'\nimport { chatQueries } from './api'\nexport const x = [Composer, chatQueries]\n")).toEqual([])
  })
  it('a feature other than chat and compare may not import the conversation', async () => {
    expect(await boundaryErrors('src/features/constitutions/probe.ts', "import { Composer } from '../conversation/Composer'\nexport const x = Composer\n")).toHaveLength(1)
  })
})
