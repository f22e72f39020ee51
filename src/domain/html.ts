/** Escapes text for an HTML page or attribute (the hosted payment pages, the landing pages). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
