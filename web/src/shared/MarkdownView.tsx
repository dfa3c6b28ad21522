// Markdown rendering for answers, constitutions and previews. react-markdown
// renders to React elements (no raw HTML), so model output cannot inject markup.

import ReactMarkdown, { type Components } from 'react-markdown'
import remarkGfm from 'remark-gfm'

// A link in an answer or a constitution opens beside the workbench: following
// it in place would leave the page and drop the live streams with it.
const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer" />,
}

export default function MarkdownView({ text }: { text: string }) {
  return (
    <ReactMarkdown remarkPlugins={[remarkGfm]} components={components}>
      {text}
    </ReactMarkdown>
  )
}
