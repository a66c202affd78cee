import { useMemo } from 'react';
import { renderMarkdown } from '../lib/markdown';

/** Renders untrusted Markdown (raw HTML escaped, output sanitised; see lib/markdown.ts). */
export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
