import { readdirSync } from 'node:fs'
import js from '@eslint/js'
import globals from 'globals'
import importX, { createNodeResolver } from 'eslint-plugin-import-x'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

// Import boundaries (web/README.md, "Layout"): a feature may import api/,
// shared/ and itself, never another feature and never the app shell; the
// one shared feature, conversation, may be composed by chat and compare.
// api/ and shared/ import no feature and not the shell. New feature folders
// are picked up from the directory, so a new feature is fenced in at once.
const features = readdirSync(new URL('./src/features', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
const composes = { chat: ['conversation'], compare: ['conversation'] }
const boundaries = [
  ...features.map((f) => ({
    target: `./src/features/${f}`,
    from: './src/features',
    except: [`./${f}`, ...(composes[f] ?? []).map((c) => `./${c}`)],
    message: `features/${f} may not import another feature (only api/, shared/ and itself${composes[f] ? `, and ${composes[f].join(', ')}` : ''}); move what both need to shared/ or api/.`,
  })),
  { target: './src/features', from: './src/app', message: 'A feature may not import the app shell.' },
  { target: ['./src/api', './src/shared'], from: ['./src/features', './src/app'], message: 'api/ and shared/ sit below the features and the shell.' },
]

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'e2e-screenshots', 'src/api/apiTypes.ts', '.apiTypes.check.ts'] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ['**/*.{ts,tsx}'],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Editors copy freshly fetched server state into a local draft, and a
      // conversation merges newly fetched history into live state: both are
      // "sync from an external system" effects this rule cannot tell apart.
      'react-hooks/set-state-in-effect': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: boundaries }],
    },
  },
  {
    files: ['e2e/**/*.mjs', '*.js'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
  },
)
