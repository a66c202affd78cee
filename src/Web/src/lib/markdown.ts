import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';

/**
 * Markdown from the model or a tool is untrusted. Raw HTML in it is shown as text (never parsed),
 * and the generated HTML is sanitised by DOMPurify as a second line of defence.
 */
const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
  },
});

let hooked = false;
function ensureLinkHook(): void {
  if (hooked) return;
  hooked = true;
  // Links open in a new tab without giving it a handle on this window.
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.getAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
}

/** Markdown to HTML with raw HTML escaped (pure; unit-tested without a DOM). */
export function markdownToHtml(text: string): string {
  return marked.parse(text) as string;
}

export function renderMarkdown(text: string): string {
  ensureLinkHook();
  return DOMPurify.sanitize(markdownToHtml(text), {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'img'],
    FORBID_ATTR: ['style'],
  });
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
