// The route table: every page of the app, in the order of the header's
// navigation. Each page is its own chunk, loaded when first visited, so the
// first load carries only the shell and the page it opens. A new feature
// adds one line here (and gets a nav entry if it has a label).

import { lazy, type ComponentType, type LazyExoticComponent } from 'react'

export interface AppRoute {
  /** The route pattern, with the page's optional id parameter. */
  path: string
  /** Where the nav link points; absent for pages without a nav entry. */
  nav?: string
  /** The nav link's text. */
  label?: string
  /** The key (after "g") that jumps to this page; listed under "?". */
  key?: string
  page: LazyExoticComponent<ComponentType>
}

export const routes: AppRoute[] = [
  { path: '/chat/:instanceId?', nav: '/chat', label: 'Chat', key: 'c', page: lazy(() => import('../features/chat/ChatPage').then((m) => ({ default: m.ChatPage }))) },
  { path: '/compare/:comparisonId?', nav: '/compare', label: 'Compare', key: 'm', page: lazy(() => import('../features/compare/ComparePage').then((m) => ({ default: m.ComparePage }))) },
  { path: '/evals/:kind?/:id?', nav: '/evals', label: 'Evals', key: 'e', page: lazy(() => import('../features/evals/EvalsPage').then((m) => ({ default: m.EvalsPage }))) },
  {
    path: '/constitutions/:id?',
    nav: '/constitutions',
    label: 'Constitutions',
    key: 'k',
    page: lazy(() => import('../features/constitutions/ConstitutionsPage').then((m) => ({ default: m.ConstitutionsPage }))),
  },
  { path: '/sysprompts/:id?', nav: '/sysprompts', label: 'System prompts', key: 's', page: lazy(() => import('../features/sysprompts/SyspromptsPage').then((m) => ({ default: m.SyspromptsPage }))) },
  { path: '/flow-configs/:id?', nav: '/flow-configs', label: 'Flow configs', key: 'f', page: lazy(() => import('../features/flowConfigs/FlowConfigsPage').then((m) => ({ default: m.FlowConfigsPage }))) },
  { path: '/flow-templates/:id?', nav: '/flow-templates', label: 'Templates', key: 't', page: lazy(() => import('../features/flowTemplates/FlowTemplatesPage').then((m) => ({ default: m.FlowTemplatesPage }))) },
]
