// forumqa chat page. Every document text and answer goes into the page as text nodes
// (textContent / createTextNode), never as HTML, so a document holding <script> stays inert.
"use strict";

const chat = document.getElementById("chat");
const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const viewer = document.getElementById("viewer");
let history = [];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function scrollToEnd() {
  chat.scrollTop = chat.scrollHeight;
}

// "gorhill · #8 · 2016-02-03 · discourse_topic_1148.json": who said it, in which post, when, where;
// "· quote ·" when the words are quoted from outside the export (the author is then the quoted writer).
function citationMeta(citation) {
  const post = citation.post ? (/^\d+$/.test(citation.post) ? "#" + citation.post : citation.post) : null;
  return [citation.author, citation.quoted ? "quote" : null, post, citation.date, citation.source].filter(Boolean).join(" · ");
}

// Offsets from the server count Unicode code points (Python strings); JavaScript strings count
// UTF-16 units, so an emoji before the span would shift a plain slice. Slice by code points.
function codePointSlices(text, start, end) {
  const points = Array.from(text);
  return [points.slice(0, start).join(""), points.slice(start, end).join(""), points.slice(end).join("")];
}

// The quoted sentence, with the phrase that answers (`short`, in document offsets) in bold.
function appendAnswer(node, result) {
  const first = result.citations[0];
  const short = result.short;
  if (!short || !first || short.start < first.start || short.end > first.end) {
    node.appendChild(document.createTextNode(result.answer));
    return;
  }
  const [before, bold, after] = codePointSlices(result.answer, short.start - first.start, short.end - first.start);
  node.append(document.createTextNode(before), el("strong", "short", bold), document.createTextNode(after));
}

function citationButton(citation, label, generation) {
  const button = el("button", "citation");
  button.type = "button";
  button.dataset.docId = citation.doc_id;
  button.dataset.start = citation.start;
  button.dataset.end = citation.end;
  const head = el("span", "citation-head", label ? label + " " : "");
  head.appendChild(el("strong", null, citation.title));
  button.appendChild(head);
  button.appendChild(el("span", "meta", citationMeta(citation)));
  button.appendChild(el("span", "quote", citation.text));
  button.addEventListener("click", () => openDocument(citation, generation));
  return button;
}

function renderAnswer(result) {
  const bubble = el("div", "bubble answer");
  if (result.abstained) {
    bubble.classList.add("abstained");
    bubble.appendChild(el("p", "abstain-message", "I couldn't find this in the documents."));
    if (result.related.length) {
      bubble.appendChild(el("p", "related-label", "Related passages:"));
      const list = el("div", "citations");
      result.related.forEach((passage) => list.appendChild(citationButton(passage, "", result.generation)));
      bubble.appendChild(list);
    }
    return bubble;
  }
  const text = el("p", "answer-text");
  appendAnswer(text, result);
  text.appendChild(document.createTextNode(" "));
  result.citations.forEach((_, i) => text.appendChild(el("sup", "marker", "[" + (i + 1) + "]")));
  bubble.appendChild(text);
  const list = el("div", "citations");
  result.citations.forEach((citation, i) => list.appendChild(citationButton(citation, "[" + (i + 1) + "]", result.generation)));
  bubble.appendChild(list);
  return bubble;
}

async function readError(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (_) {
    return response.status + " " + response.statusText;
  }
}

async function ask(question) {
  chat.appendChild(el("div", "bubble question", question));
  const pending = el("div", "bubble pending", "searching…");
  chat.appendChild(pending);
  scrollToEnd();
  input.disabled = true;
  sendButton.disabled = true;
  form.classList.add("busy");
  try {
    const response = await fetch("api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, history: history }),
    });
    if (!response.ok) throw new Error(await readError(response));
    const result = await response.json();
    pending.replaceWith(renderAnswer(result));
    history.push(question);
  } catch (error) {
    pending.replaceWith(el("div", "bubble error", "Something went wrong: " + error.message));
  } finally {
    input.disabled = false;
    sendButton.disabled = false;
    form.classList.remove("busy");
    input.focus();
    scrollToEnd();
  }
}

// The answer names the index generation it came from: its offsets index into that version of the
// document, which the server keeps across the next rebuild (410 once it no longer holds it).
async function openDocument(citation, generation) {
  const path = citation.doc_id.split("/").map(encodeURIComponent).join("/");
  const textBox = document.getElementById("viewer-text");
  document.getElementById("viewer-title").textContent = citation.title;
  document.getElementById("viewer-meta").textContent = "loading…";
  textBox.replaceChildren();
  viewer.hidden = false;
  try {
    const query = generation ? "?generation=" + encodeURIComponent(generation) : "";
    const response = await fetch("api/documents/" + path + query);
    if (!response.ok) throw new Error(await readError(response));
    const doc = await response.json();
    document.getElementById("viewer-meta").textContent = [doc.date, doc.source].filter(Boolean).join(" · ");
    const [before, quoted, after] = codePointSlices(doc.text, citation.start, citation.end);
    const mark = el("mark", null, quoted);
    textBox.replaceChildren(document.createTextNode(before), mark, document.createTextNode(after));
    mark.scrollIntoView({ block: "center" });
    textBox.focus({ preventScroll: true });
  } catch (error) {
    document.getElementById("viewer-meta").textContent = "Could not open the document: " + error.message;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || input.disabled) return;
  input.value = "";
  ask(question);
});

document.getElementById("new-conversation").addEventListener("click", () => {
  history = [];
  chat.replaceChildren();
  viewer.hidden = true;
  input.focus();
});

document.getElementById("viewer-close").addEventListener("click", () => {
  viewer.hidden = true;
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") viewer.hidden = true;
});

input.focus();
