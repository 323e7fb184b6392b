// forumqa chat page. Every document text, answer, title, file name and server message goes into the
// page as text nodes (textContent / createTextNode), never as HTML, so a document holding <script>
// stays inert. No inline script or style anywhere: the server's Content-Security-Policy refuses both.
"use strict";

const chat = document.getElementById("chat");
const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const viewer = document.getElementById("viewer");
const library = document.getElementById("library");
const libraryButton = document.getElementById("show-library");
const indexStatus = document.getElementById("index-status");
const docList = document.getElementById("doc-list");
const docFilter = document.getElementById("doc-filter");
const manage = document.getElementById("manage");
const tokenInput = document.getElementById("admin-token");
const fileInput = document.getElementById("file-input");
const dropZone = document.getElementById("drop-zone");
const overwriteBox = document.getElementById("overwrite");
const manageStatus = document.getElementById("manage-status");
const manageProgress = document.getElementById("manage-progress");
const manageResult = document.getElementById("manage-result");

const TOKEN_KEY = "forumqa.adminToken";
const RELATED_CARDS = 3;
// A thread export can hold thousands of documents: the list shows this many, the filter finds the rest.
const LIST_LIMIT = 200;
const FILTER_ABOVE = 8;
const POLL_MS = 400;
// A rebuild the server has started may not show as `reindexing` at the first poll; after this long
// without seeing it (and with the same last rebuild), it is taken as already finished.
const REBUILD_GRACE_MS = 3000;
const REBUILD_TIMEOUT_MS = 10 * 60 * 1000;

let history = [];
let health = null;
let documents = [];
let adminBusy = false;
let watchingRebuild = false;

// ---------------------------------------------------------------- small helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function button(className, text, label) {
  const node = el("button", className, text);
  node.type = "button";
  if (label) node.setAttribute("aria-label", label);
  return node;
}

function scrollToEnd() {
  chat.scrollTop = chat.scrollHeight;
}

function plural(count, word) {
  return count + " " + word + (count === 1 ? "" : "s");
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function formatTime(iso) {
  const date = new Date(iso);
  return iso && !Number.isNaN(date.getTime()) ? date.toLocaleString() : iso || "";
}

// "gorhill · #8 · 2016-02-03 · discourse_topic_1148.json": who said it, in which post, when, where;
// "· quote ·" when the words are quoted from outside the export (the author is then the quoted writer);
// "· accepted answer ·" in the post the thread marks as its answer.
function citationMeta(citation) {
  const post = citation.post ? (/^\d+$/.test(citation.post) ? "#" + citation.post : citation.post) : null;
  const marks = [citation.quoted ? "quote" : null, citation.accepted ? "accepted answer" : null];
  return [citation.author, ...marks, post, citation.date, citation.source].filter(Boolean).join(" · ");
}

// Offsets from the server count Unicode code points (Python strings); JavaScript strings count
// UTF-16 units, so an emoji before the span would shift a plain slice. Slice by code points.
function codePointSlices(text, start, end) {
  const points = Array.from(text);
  return [points.slice(0, start).join(""), points.slice(start, end).join(""), points.slice(end).join("")];
}

async function readError(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (_) {
    return response.status + " " + response.statusText;
  }
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) throw new Error(await readError(response));
  return response.json();
}

function documentPath(docId) {
  return docId.split("/").map(encodeURIComponent).join("/");
}

// ---------------------------------------------------------------- what is indexed (the empty state)

function showLibrary(show) {
  library.hidden = !show;
  libraryButton.setAttribute("aria-expanded", String(show));
}

function renderStatus() {
  if (!health) return;
  const parts = [plural(health.documents, "document"), plural(health.chunks, "chunk")];
  if (health.index_updated_at) parts.push("index built " + formatTime(health.index_updated_at));
  indexStatus.replaceChildren(document.createTextNode(parts.join(" · ")));
  if (health.reindexing) indexStatus.appendChild(el("span", "rebuilding", " · rebuilding…"));
  const last = health.last_rebuild;
  if (last && !last.ok) indexStatus.appendChild(el("span", "rebuild-failed", " · last rebuild failed: " + (last.error || "unknown error")));
}

function applyHealth(next) {
  health = next;
  renderStatus();
  if (health.max_question_chars > 0) input.maxLength = health.max_question_chars;
  manage.hidden = !health.uploads;
  if (health.reindexing) followRebuild();
}

async function loadHealth() {
  applyHealth(await getJson("api/health"));
  return health;
}

function matchingDocuments() {
  const words = docFilter.value.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return documents;
  return documents.filter((doc) => {
    const haystack = (doc.title + " " + doc.source).toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

function renderDocuments() {
  docFilter.hidden = documents.length <= FILTER_ABOVE;
  const matching = matchingDocuments();
  const items = matching.slice(0, LIST_LIMIT).map((doc) => {
    const item = el("li", "doc-item");
    item.dataset.docId = doc.doc_id;
    const open = button("doc-open", doc.title);
    open.addEventListener("click", () => openDocument({ doc_id: doc.doc_id, title: doc.title }, null));
    item.append(open, el("span", "meta", [doc.date, doc.source, plural(doc.chunks, "chunk")].filter(Boolean).join(" · ")));
    if (health && health.uploads) {
      const remove = button("doc-delete", "Delete", "Delete " + doc.source);
      remove.disabled = adminBusy;
      remove.addEventListener("click", () => deleteDocument(doc));
      item.appendChild(remove);
    }
    return item;
  });
  if (matching.length > LIST_LIMIT) {
    items.push(el("li", "doc-more", "… and " + (matching.length - LIST_LIMIT) + " more: type in the filter to find one."));
  }
  if (!items.length) items.push(el("li", "doc-empty", documents.length ? "No document matches the filter." : "No documents are indexed yet."));
  docList.replaceChildren(...items);
}

async function loadDocuments() {
  documents = await getJson("api/documents");
  renderDocuments();
}

async function loadLibrary() {
  try {
    await loadHealth();
    await loadDocuments();
  } catch (error) {
    indexStatus.textContent = "Could not read the index: " + error.message;
  }
}

// A rebuild started elsewhere (--watch, another admin): keep "rebuilding…" honest, then show the new list.
async function followRebuild() {
  if (watchingRebuild || adminBusy) return;
  watchingRebuild = true;
  try {
    while (health && health.reindexing) {
      await sleep(2000);
      await loadHealth();
    }
    await loadDocuments();
  } catch (_) {
    // The next action or page load shows the state; a failed poll is not worth a message.
  } finally {
    watchingRebuild = false;
  }
}

// ---------------------------------------------------------------- answers

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
  const card = button("citation");
  card.dataset.docId = citation.doc_id;
  card.dataset.start = citation.start;
  card.dataset.end = citation.end;
  const head = el("span", "citation-head", label ? label + " " : "");
  head.appendChild(el("strong", null, citation.title));
  card.appendChild(head);
  card.appendChild(el("span", "meta", citationMeta(citation)));
  card.appendChild(el("span", "quote", citation.text));
  card.addEventListener("click", () => openDocument(citation, generation));
  return card;
}

function renderAnswer(question, result) {
  const bubble = el("div", "bubble answer");
  // With "not found", the closest passages in the server's order (best first), several from one document when
  // it has them: one card per document hid the passage holding the answer on most abstentions (README).
  const sources = result.abstained ? result.related.slice(0, RELATED_CARDS) : result.citations;
  if (result.abstained) {
    bubble.classList.add("abstained");
    if (result.message) bubble.appendChild(el("p", "abstain-message", result.message));
  } else {
    const text = el("p", "answer-text");
    appendAnswer(text, result);
    text.appendChild(document.createTextNode(" "));
    result.citations.forEach((_, i) => text.appendChild(el("sup", "marker", "[" + (i + 1) + "]")));
    bubble.appendChild(text);
    if (result.message) bubble.appendChild(el("p", "message", result.message));
  }
  if (sources.length) {
    const list = el("div", "citations");
    sources.forEach((source, i) => list.appendChild(citationButton(source, result.abstained ? "" : "[" + (i + 1) + "]", result.generation)));
    bubble.appendChild(list);
  }
  bubble.appendChild(answerTools(question, result, sources));
  return bubble;
}

// ---------------------------------------------------------------- feedback and copy

function answerTools(question, result, sources) {
  const tools = el("div", "answer-tools");
  const feedback = el("div", "feedback");
  const up = button("vote vote-up", "👍", "Helpful");
  const down = button("vote vote-down", "👎", "Not helpful");
  up.title = "Helpful";
  down.title = "Not helpful";
  const status = el("span", "tool-status");
  status.setAttribute("role", "status");
  const comment = el("form", "feedback-comment");
  comment.hidden = true;
  const box = el("textarea");
  box.name = "comment";
  box.rows = 2;
  box.maxLength = 2000;
  box.placeholder = "What was wrong or missing? (optional)";
  box.setAttribute("aria-label", "Comment");
  const sendComment = el("button", "feedback-send", "Send");
  sendComment.type = "submit";
  comment.append(box, sendComment);

  const send = async (helpful, text) => {
    up.disabled = down.disabled = sendComment.disabled = true;
    try {
      await getJson("api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          question: question,
          answer: result.answer,
          citations: result.citations,
          helpful: helpful,
          comment: text || null,
          generation: result.generation,
        }),
      });
      comment.remove();
      status.textContent = "";
      feedback.replaceChildren(el("span", "feedback-thanks", "Thanks"));
    } catch (error) {
      status.textContent = "Could not send the feedback: " + error.message;
      up.disabled = down.disabled = sendComment.disabled = false;
    }
  };
  up.addEventListener("click", () => send(true, null));
  down.addEventListener("click", () => {
    down.classList.add("chosen");
    comment.hidden = false;
    box.focus();
  });
  comment.addEventListener("submit", (event) => {
    event.preventDefault();
    send(false, box.value.trim());
  });

  const copy = button("copy", "Copy", "Copy the answer and its sources");
  copy.addEventListener("click", async () => {
    const text = plainText(question, result, sources);
    if (await copyText(text)) {
      status.textContent = "Copied";
    } else {
      showCopyFallback(tools, text);
      status.textContent = "Copying is blocked here: select the text below and copy it.";
    }
  });
  feedback.append(up, down);
  tools.append(feedback, copy, status, comment);
  return tools;
}

// The answer as someone would paste it into a mail: the question, the quote, where each source is.
function plainText(question, result, sources) {
  const lines = ["Q: " + question];
  if (result.abstained) {
    lines.push("A: " + (result.message || "(no answer)"));
  } else {
    lines.push("A: " + result.answer + " " + result.citations.map((_, i) => "[" + (i + 1) + "]").join(""));
  }
  if (sources.length) lines.push("", result.abstained ? "Closest passages:" : "Sources:");
  sources.forEach((source, i) => {
    lines.push((result.abstained ? "- " : "[" + (i + 1) + "] ") + source.title + " (" + citationMeta(source) + ")");
    lines.push("  \u201c" + source.text + "\u201d");
  });
  return lines.join("\n");
}

async function copyText(text) {
  if (navigator.clipboard && navigator.clipboard.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      // Not a secure context, or permission refused: try the older way below.
    }
  }
  const buffer = el("textarea", "copy-buffer");
  buffer.value = text;
  buffer.setAttribute("readonly", "");
  document.body.appendChild(buffer);
  buffer.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (_) {
    copied = false;
  }
  buffer.remove();
  return copied;
}

function showCopyFallback(tools, text) {
  let area = tools.querySelector(".copy-fallback");
  if (!area) {
    area = el("textarea", "copy-fallback");
    area.readOnly = true;
    area.rows = 5;
    area.setAttribute("aria-label", "Answer as text");
    tools.appendChild(area);
  }
  area.value = text;
  area.focus();
  area.select();
}

// ---------------------------------------------------------------- asking

async function ask(question) {
  showLibrary(false);
  chat.appendChild(el("div", "bubble question", question));
  const pending = el("div", "bubble pending", "searching…");
  chat.appendChild(pending);
  scrollToEnd();
  input.disabled = true;
  sendButton.disabled = true;
  form.classList.add("busy");
  try {
    const result = await getJson("api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, history: history }),
    });
    pending.replaceWith(renderAnswer(question, result));
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
// Opened from the document list there is no span and no generation: the live text, from the top.
async function openDocument(target, generation) {
  const textBox = document.getElementById("viewer-text");
  const meta = document.getElementById("viewer-meta");
  document.getElementById("viewer-title").textContent = target.title;
  meta.textContent = "loading…";
  textBox.replaceChildren();
  viewer.hidden = false;
  try {
    const query = generation ? "?generation=" + encodeURIComponent(generation) : "";
    const doc = await getJson("api/documents/" + documentPath(target.doc_id) + query);
    meta.textContent = [doc.date, doc.source].filter(Boolean).join(" · ");
    if (typeof target.start !== "number" || typeof target.end !== "number") {
      textBox.replaceChildren(document.createTextNode(doc.text));
      textBox.scrollTop = 0;
      return;
    }
    const [before, quoted, after] = codePointSlices(doc.text, target.start, target.end);
    const mark = el("mark", null, quoted);
    textBox.replaceChildren(document.createTextNode(before), mark, document.createTextNode(after));
    mark.scrollIntoView({ block: "center" });
    textBox.focus({ preventScroll: true });
  } catch (error) {
    meta.textContent = "Could not open the document: " + error.message;
  }
}

// ---------------------------------------------------------------- managing documents (admin)

function readStoredToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (_) {
    return "";
  }
}

function storeToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) {
    // Storage disabled: the token then lasts as long as the field's value.
  }
}

function adminHeaders() {
  const token = tokenInput.value.trim();
  return token ? { Authorization: "Bearer " + token } : null;
}

function setManageStatus(text, kind) {
  manageStatus.textContent = text;
  manageStatus.className = "manage-status" + (kind ? " " + kind : "");
}

function showResult(lines) {
  manageResult.replaceChildren(...lines.map((line) => el("li", line.kind, line.text)));
}

function setAdminBusy(busy) {
  adminBusy = busy;
  manage.dataset.state = busy ? "busy" : "idle";
  fileInput.disabled = busy;
  dropZone.classList.toggle("disabled", busy);
  docList.querySelectorAll(".doc-delete").forEach((node) => {
    node.disabled = busy;
  });
}

function needToken() {
  manage.hidden = false;
  manage.open = true;
  setManageStatus("Enter the admin token first.", "error");
  tokenInput.focus();
}

function uploadLines(body) {
  const lines = (body.stored || []).map((name) => ({ kind: "ok", text: "Stored " + name }));
  (body.rejected || []).forEach((item) => lines.push({ kind: "error", text: "Rejected " + item.name + ": " + item.reason }));
  return lines;
}

function deleteLines(body) {
  const lines = [{ kind: "ok", text: "Deleted " + body.deleted }];
  if (body.documents && body.documents.length) lines.push({ kind: "note", text: "Documents removed: " + body.documents.join(", ") });
  return lines;
}

function rebuildLines(last) {
  if (!last) return [];
  if (!last.ok) return [{ kind: "error", text: "Re-index failed: " + (last.error || "unknown error") }];
  const lines = [];
  const named = [["Added", last.added], ["Changed", last.changed], ["Removed", last.removed]];
  named.forEach(([label, ids]) => {
    if (ids && ids.length) lines.push({ kind: "ok", text: label + ": " + ids.join(", ") });
  });
  (last.skipped || []).forEach((item) => lines.push({ kind: "warn", text: "Skipped " + item.source + ": " + item.reason }));
  if (!lines.length) lines.push({ kind: "note", text: "The index did not change." });
  return lines;
}

function rebuildKey(state) {
  return JSON.stringify(state.last_rebuild || null);
}

// Polls /api/health until the rebuild the server just started is over. `before` is the last rebuild
// as health named it before the request; a different one, or having seen `reindexing`, means ours ran.
async function waitForRebuild(before) {
  const started = Date.now();
  let seen = false;
  for (;;) {
    await sleep(POLL_MS);
    const state = await loadHealth();
    seen = seen || state.reindexing;
    if (!state.reindexing && (seen || rebuildKey(state) !== before || Date.now() - started > REBUILD_GRACE_MS)) return;
    if (Date.now() - started > REBUILD_TIMEOUT_MS) throw new Error("the index is still being rebuilt; reload the page later to see it");
  }
}

async function lastRebuild() {
  try {
    return await getJson("api/rebuilds/last");
  } catch (_) {
    return null;
  }
}

// One admin request, then the rebuild it started: progress while it runs, what it did after, a fresh list.
async function adminAction(label, request, describe) {
  if (adminBusy) return;
  const headers = adminHeaders();
  if (!headers) {
    needToken();
    return;
  }
  setAdminBusy(true);
  manage.open = true;
  setManageStatus(label + "…");
  showResult([]);
  try {
    const before = rebuildKey(await loadHealth());
    const response = await request(headers);
    if (!response.ok) throw new Error(await readError(response));
    const body = await response.json();
    const lines = describe(body);
    showResult(lines);
    if (body.reindexing) {
      setManageStatus("Re-indexing…");
      manageProgress.hidden = false;
      await waitForRebuild(before);
      const last = await lastRebuild();
      showResult(lines.concat(rebuildLines(last)));
      setManageStatus(last && !last.ok ? "Re-index failed; answers still come from the previous index." : "Done: the index is up to date.", last && !last.ok ? "error" : "ok");
    } else {
      setManageStatus("Done.", "ok");
    }
  } catch (error) {
    setManageStatus(error.message, "error");
  } finally {
    manageProgress.hidden = true;
    await loadLibrary();
    setAdminBusy(false);
    // Counts finished actions, list refreshed included: what a script driving the page waits for.
    manage.dataset.finished = String(Number(manage.dataset.finished || 0) + 1);
    if (health && health.reindexing) followRebuild();
  }
}

function upload(files) {
  if (!files.length) return;
  const names = files.map((file) => file.name).join(", ");
  adminAction(
    "Uploading " + names,
    (headers) => {
      const body = new FormData();
      files.forEach((file) => body.append("files", file, file.name));
      if (overwriteBox.checked) body.append("overwrite", "true");
      return fetch("api/documents", { method: "POST", headers: headers, body: body });
    },
    uploadLines,
  );
}

function deleteDocument(doc) {
  if (!adminHeaders()) {
    needToken();
    return;
  }
  const question = "Delete " + doc.source + " from the server? Every document read from that file leaves the index.";
  if (!window.confirm(question)) return;
  adminAction(
    "Deleting " + doc.source,
    (headers) => fetch("api/documents/" + documentPath(doc.doc_id), { method: "DELETE", headers: headers }),
    deleteLines,
  );
}

function hasFiles(event) {
  return Boolean(event.dataTransfer) && Array.from(event.dataTransfer.types || []).includes("Files");
}

// ---------------------------------------------------------------- wiring

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
  showLibrary(true);
  input.focus();
});

libraryButton.addEventListener("click", () => showLibrary(library.hidden));
docFilter.addEventListener("input", renderDocuments);

document.getElementById("viewer-close").addEventListener("click", () => {
  viewer.hidden = true;
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") viewer.hidden = true;
});

tokenInput.value = readStoredToken();
tokenInput.addEventListener("input", () => storeToken(tokenInput.value.trim()));

fileInput.addEventListener("change", () => {
  const files = Array.from(fileInput.files || []);
  fileInput.value = ""; // so that choosing the same file again uploads it again
  upload(files);
});

["dragenter", "dragover"].forEach((type) =>
  dropZone.addEventListener(type, (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropZone.classList.add("dragging");
  }),
);
dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropZone.classList.remove("dragging");
  upload(Array.from(event.dataTransfer.files || []));
});
// A file dropped beside the zone would otherwise replace the page with the file.
window.addEventListener("dragover", (event) => {
  if (hasFiles(event)) event.preventDefault();
});
window.addEventListener("drop", (event) => {
  if (hasFiles(event)) event.preventDefault();
});

loadLibrary();
const linked = (new URLSearchParams(window.location.search).get("q") || "").trim();
if (linked) ask(linked);
input.focus();
