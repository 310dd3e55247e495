// Parse Mermaid diagrams with Mermaid's own parser. Input on stdin: a JSON array of diagram
// texts. Output on stdout: a JSON array, per diagram null (it parses) or the parser's message.
// Mermaid expects a browser: jsdom stands in for the window and document DOMPurify needs.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "Node", "DocumentFragment", "DOMParser", "NodeFilter"]) {
  globalThis[name] ??= dom.window[name];
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    await mermaid.parse(text);
    results.push(null);
  } catch (error) {
    results.push(String(error?.message ?? error));
  }
}
process.stdout.write(JSON.stringify(results));
