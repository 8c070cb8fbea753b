// The volunteer page: one tile at a time, answered with 1 / 2 / 3 (or the buttons), space for context,
// z for zoom. The next tile and its picture are fetched while the current one is on screen, so an
// answer shows the next tile at once. The token comes from the invite link's #invite=… and stays in
// this browser only (never in a URL the server logs); opening another invite link in the same tab
// joins with that one.
//
// Before the first real tile, a short practice (static/practice/practice.json: shipped examples with
// the answer shown after each) teaches what a person from above looks like. Practice answers never
// leave the page. It can be skipped, is remembered in this browser, and is offered again after a
// failed entry check, which may then be retried once.
"use strict";

(() => {
  const TOKEN_KEY = "sartriage.token";
  const PRACTISED_KEY = "sartriage.practised";
  const ANSWER_KEYS = { "1": "person", "2": "no_person", "3": "unsure" };
  const ZOOMS = [1, 2, 4];
  const WAIT_S = 10; // how often the page asks again when nothing needs review
  const NO_INVITE = "Open the invite link the coordinator sent you to start.";
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    generation: 0, // bumped when another invite takes over the tab: late replies of the old one are dropped
    mode: "none", // none | practice | review | outcome
    progress: null, // the last ProgressOut
    idle: false, // the queue had nothing for us at the last ask
    note: null, // a line to keep under the next tile (the entry check's outcome), until the next answer
    current: null, // {id, imageUrl, contextUrl, entryCheck}
    next: null, // prefetched, same shape
    prefetching: null, // Promise while fetching the next one
    showingContext: false,
    zoom: 0,
    answered: 0,
    waitTimer: null,
    chain: Promise.resolve(), // answers go out one at a time, in order
    pending: new Set(), // ids answered here whose answer the server has not acknowledged yet
  };

  function takeToken() {
    const match = location.hash.match(/invite=([A-Za-z0-9_-]+)/);
    if (match) {
      localStorage.setItem(TOKEN_KEY, match[1]);
      history.replaceState(null, "", location.pathname); // the token leaves the address bar
    }
    return localStorage.getItem(TOKEN_KEY);
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, { method = "GET", body, blob = false } = {}) {
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(path, {
          method,
          headers: {
            Authorization: `Bearer ${state.token}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store",
        });
      } catch (err) {
        if (attempt < 4) { await sleep(500 * 2 ** attempt); continue; } // the network blinked
        throw new ApiError(0, "cannot reach the server; check your connection");
      }
      if (response.status === 429 && attempt < 6) {
        await sleep(1000 * Number(response.headers.get("Retry-After") || 1));
        continue;
      }
      if (!response.ok) {
        let detail = response.statusText;
        try {
          const data = await response.json();
          detail = typeof data.detail === "string" ? data.detail : "the request was refused";
        } catch (_) { /* not JSON */ }
        throw new ApiError(response.status, detail);
      }
      return blob ? response.blob() : response.json();
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function say(text) { $("message").textContent = text || ""; }

  function percent(x) { return x === null || x === undefined ? "–" : `${Math.round(100 * x)}%`; }

  function setMode(mode) {
    state.mode = mode;
    document.body.dataset.mode = mode;
  }

  // ── what is on screen ────────────────────────────────────────────────────────────────────────
  function showPicture(url) {
    const img = $("tile");
    img.src = url;
    img.hidden = false;
    $("notice").hidden = true;
    $("btn-zoom").disabled = false;
  }

  // No tile: no picture (never a broken-image icon), a sentence instead.
  function noTile(text) {
    const img = $("tile");
    img.hidden = true;
    img.removeAttribute("src");
    delete document.body.dataset.assignment;
    $("notice").textContent = text;
    $("notice").hidden = false;
    setButtons(false);
    $("btn-context").disabled = true;
    $("btn-zoom").disabled = true;
    setZoom(0);
  }

  function showPanel(text, buttons = []) {
    $("panel-text").textContent = text;
    for (const b of document.querySelectorAll("#panel button")) b.hidden = !buttons.includes(b.id);
    $("panel").hidden = false;
  }

  function hidePanel() { $("panel").hidden = true; }

  function showProgress(p) {
    const before = state.progress;
    state.progress = p;
    renderProgress();
    const a = p.accuracy;
    $("accuracy").textContent = a.known_answered
      ? `Your accuracy on ${a.known_answered} known tiles: ${percent(a.accuracy)} ` +
        `(people found ${percent(a.sensitivity)}, empty tiles right ${percent(a.specificity)})`
      : "Your accuracy on known tiles appears here, updated every 10 answers.";
    if (before && before.exam_state === "waived" && p.exam_state === "pending") {
      state.note = `The coordinator has decided some tiles: a short entry check of ${p.exam_size} ` +
        "tiles comes first, then review goes on.";
      say(state.note);
    }
    if (before && before.exam_state === "pending" && p.exam_state === "passed") {
      state.note = `Entry check passed: ${p.exam_correct} of ${p.exam_size} right. Your answers now count.`;
      say(state.note);
    }
    if (p.exam_state === "failed" && state.mode !== "practice") showOutcome(p);
  }

  function renderProgress() {
    const p = state.progress;
    if (!p) { $("progress").textContent = ""; return; }
    const parts = [`${p.answers} answered`];
    if (p.exam_state === "failed") {
      parts.push("entry check not passed");
    } else if (state.idle) {
      parts.push(`nothing to review right now, this page checks again every ${WAIT_S} s`);
    } else {
      parts.push(`${p.open_tiles > 20 ? "about " : ""}${p.open_tiles} tiles open`);
      // no known tiles, no entry check: say nothing of one
      if (p.exam_state === "pending" && p.exam_size > 0) {
        parts.push(`entry check ${p.exam_answered}/${p.exam_size}`);
      }
    }
    $("progress").textContent = parts.join(" · ");
  }

  function setIdle(idle) {
    if (state.idle === idle) return;
    state.idle = idle;
    renderProgress();
  }

  // ── the entry check's outcome ────────────────────────────────────────────────────────────────
  function showOutcome(p) {
    if (state.mode === "outcome") return;
    setMode("outcome");
    clearTimeout(state.waitTimer);
    release(state.current);
    release(state.next);
    state.current = state.next = null;
    say("");
    const score = `${p.exam_correct} of ${p.exam_size} right, ${p.exam_needed} needed`;
    if (p.exam_retries_left > 0) {
      noTile("Entry check not passed.");
      showPanel(
        `Entry check not passed: ${score}. The check uses tiles whose answer is known, so that ` +
          "answers are trusted before they count in the search; your answers are not used yet. " +
          "Try the practice examples (about 30 seconds), then take the check once more.",
        ["exam-practise", "exam-retry"],
      );
    } else {
      noTile("Entry check not passed on the retry either.");
      showPanel(
        `Entry check not passed again: ${score}. Your answers cannot be used in this search. ` +
          "Thank you for offering your time; if you think this is a mistake, tell the coordinator.",
      );
    }
  }

  async function retryExam() {
    hidePanel();
    try {
      const p = await api("/api/v1/exam/retry", { method: "POST" });
      setMode("review");
      showProgress(p);
      loadFirst();
    } catch (err) {
      setMode("review");
      fail(err);
    }
  }

  // ── practice: shipped examples, the answer shown after each, nothing sent ────────────────────
  const practice = { items: [], index: 0, right: 0, answered: false, then: null, boxesUrl: null };

  async function startPractice(then) {
    setMode("practice");
    practice.then = then;
    try {
      if (!practice.items.length) {
        const response = await fetch("/static/practice/practice.json", { cache: "no-cache" });
        practice.items = (await response.json()).items;
      }
    } catch (_) {
      return finishPractice(); // no examples to show: straight to the tiles
    }
    practice.index = 0;
    practice.right = 0;
    showPracticeItem();
  }

  function showPracticeItem() {
    const item = practice.items[practice.index];
    practice.answered = false;
    document.body.dataset.practice = String(practice.index + 1);
    showPicture(`/static/practice/${item.image}`);
    setZoom(0);
    $("btn-context").disabled = true;
    setButtons(true);
    say("");
    const intro = practice.index === 0
      ? "Practice before the real tiles (about 30 seconds, not recorded): answer as you would, " +
        "and see the right answer after each. "
      : "";
    showPanel(
      `${intro}Example ${practice.index + 1} of ${practice.items.length}: ${item.where}.`,
      ["practice-skip"],
    );
  }

  function practiceAnswer(value) {
    const item = practice.items[practice.index];
    if (practice.answered) return;
    practice.answered = true;
    const right = value === item.truth;
    if (right) practice.right += 1;
    const verdict = right ? "Right." : value === "unsure" ? "Unsure sends a tile to more eyes." : "Not quite.";
    setButtons(false);
    const last = practice.index + 1 === practice.items.length;
    const after = last
      ? ` That was the last example: ${practice.right} of ${practice.items.length} right.`
      : "";
    $("practice-next").lastChild.textContent = last ? " Start reviewing" : " Next example";
    showPanel(`${verdict} ${item.explain}${after}`, ["practice-next", "practice-skip"]);
    document.body.dataset.practiceAnswered = String(practice.index + 1);
    if (item.boxes.length) $("tile").decode().then(() => drawBoxes(item), () => {});
  }

  // The person's box drawn over an enlarged copy of the example (a blob: URL, as the page's CSP allows).
  function drawBoxes(item) {
    const img = $("tile");
    const scale = 4; // enlarged without smoothing, so the box line stays thin next to the pixels
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth * scale;
    canvas.height = img.naturalHeight * scale;
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#ffd200";
    ctx.lineWidth = 3;
    const pad = 4; // around the person, not over them
    for (const [x, y, w, h] of item.boxes) {
      ctx.strokeRect((x - pad) * scale, (y - pad) * scale, (w + 2 * pad) * scale, (h + 2 * pad) * scale);
    }
    const index = practice.index;
    canvas.toBlob((blob) => {
      if (!blob || state.mode !== "practice" || practice.index !== index) return;
      if (practice.boxesUrl) URL.revokeObjectURL(practice.boxesUrl);
      practice.boxesUrl = URL.createObjectURL(blob);
      showPicture(practice.boxesUrl);
      document.body.dataset.practiceBoxes = String(index + 1);
    });
  }

  function practiceNext() {
    if (!practice.answered) return;
    if (practice.index + 1 < practice.items.length) {
      practice.index += 1;
      showPracticeItem();
    } else {
      finishPractice();
    }
  }

  function finishPractice() {
    localStorage.setItem(PRACTISED_KEY, "1");
    delete document.body.dataset.practice;
    hidePanel();
    setMode("review");
    const then = practice.then;
    practice.then = null;
    if (then) then();
  }

  // ── real tiles ───────────────────────────────────────────────────────────────────────────────
  async function withPicture(a) {
    const picture = await api(a.image, { blob: true });
    return { id: a.id, imageUrl: URL.createObjectURL(picture), context: a.context, contextUrl: null,
             entryCheck: a.entry_check };
  }

  const GONE = 410; // the tile's picture cannot be made; the server released it to the coordinator

  async function fetchAssignment(holding) {
    for (let attempt = 0; ; attempt++) {
      const data = await api("/api/v1/assignments", { method: "POST", body: { holding } });
      if (!data.assignment) return { none: data.message };
      try {
        return await withPicture(data.assignment);
      } catch (err) {
        if (err.status !== GONE || attempt >= 5) throw err;
      }
    }
  }

  function release(item) {
    if (!item) return;
    URL.revokeObjectURL(item.imageUrl);
    if (item.contextUrl) URL.revokeObjectURL(item.contextUrl);
  }

  function prefetch() {
    if (state.next || state.prefetching || !state.current) return state.prefetching;
    // leases whose answer is still on its way are open on the server too: never take them as "next"
    const holding = [state.current.id, ...state.pending];
    const generation = state.generation;
    state.prefetching = fetchAssignment(holding)
      .then((item) => {
        if (item.none) return;
        const known = state.pending.has(item.id) ||
          [state.current, state.next].some((x) => x && x.id === item.id);
        if (known || generation !== state.generation) release(item); else state.next = item;
      })
      .catch(() => { /* the next answer asks again */ })
      .finally(() => { state.prefetching = null; });
    return state.prefetching;
  }

  function setButtons(enabled) {
    for (const b of document.querySelectorAll("nav.answers button")) b.disabled = !enabled;
  }

  function show(item) {
    if (state.next && state.next.id === item.id) state.next = null;
    state.current = item;
    state.showingContext = false;
    $("viewer").classList.remove("context");
    $("btn-context").setAttribute("aria-pressed", "false");
    $("btn-context").disabled = false;
    setZoom(0);
    showPicture(item.imageUrl);
    document.body.dataset.assignment = item.id;
    say(item.entryCheck
      ? "Entry check: a few tiles whose answer is known come first, so your answers can count."
      : state.note);
    setButtons(true);
  }

  async function loadFirst() {
    if (state.mode !== "review") return;
    setButtons(false);
    clearTimeout(state.waitTimer);
    if (state.next) {
      const next = state.next;
      state.next = null;
      show(next);
      prefetch();
      return;
    }
    const generation = state.generation;
    try {
      const item = await fetchAssignment(state.current ? [state.current.id] : []);
      if (generation !== state.generation || state.mode !== "review") {
        if (!item.none) release(item);
        return;
      }
      if (item.none) {
        state.current = null;
        setIdle(true);
        say("");
        noTile(`No tile needs review right now. New tiles arrive as flights are scanned; ` +
               `this page checks again every ${WAIT_S} s.`);
        state.waitTimer = setTimeout(loadFirst, WAIT_S * 1000);
        return;
      }
      if (state.idle) {
        setIdle(false);
        api("/api/v1/me").then(showProgress, () => { /* the next answer brings it */ });
      }
      show(item);
      prefetch();
    } catch (err) {
      if (generation === state.generation) fail(err);
    }
  }

  async function fail(err) {
    setButtons(false);
    if (err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      say("");
      noTile("This invite is not valid any more. Ask the coordinator for a new link.");
    } else if (err.status === 403) {
      say(err.message);
      try { // a failed entry check: explain it rather than show the server's one line
        const p = await api("/api/v1/me");
        if (p.exam_state === "failed") showProgress(p);
      } catch (_) { /* the line above stays */ }
    } else {
      say(`${err.message} — retrying…`);
      clearTimeout(state.waitTimer);
      state.waitTimer = setTimeout(loadFirst, 5000);
    }
  }

  // A key press switches to the prefetched tile at once; the answers themselves are sent one after
  // another, each bringing the following tile back with it (one round trip per tile).
  function answer(value) {
    if (state.mode === "practice") return practiceAnswer(value);
    const item = state.current;
    if (state.mode !== "review" || !item || item.answered || $("btn-person").disabled) return;
    item.answered = true;
    state.note = null;
    state.pending.add(item.id);
    if (state.next) {
      const next = state.next;
      state.next = null;
      show(next);
    } else {
      setButtons(false);
    }
    state.chain = state.chain.then(() => send(item, value));
  }

  async function send(item, value) {
    const holding = [state.current, state.next]
      .filter((x) => x && x !== item && !x.answered)
      .map((x) => x.id)
      .concat([...state.pending].filter((id) => id !== item.id));
    const generation = state.generation;
    let result;
    try {
      result = await api(`/api/v1/assignments/${item.id}/answer`,
                         { method: "POST", body: { answer: value, next: { holding } } });
    } catch (err) {
      state.pending.delete(item.id);
      release(item);
      if (generation !== state.generation) return;
      if (err.status !== 409) return fail(err);
      say(err.message); // the lease ran out; that tile went back to the queue
      return state.current === item ? loadFirst() : prefetch();
    }
    state.pending.delete(item.id);
    release(item);
    if (generation !== state.generation) return;
    state.answered += 1;
    document.body.dataset.answered = String(state.answered);
    showProgress(result.progress);
    if (state.mode !== "review") return; // the entry check ended this volunteer's review
    const upcoming = result.next && result.next.assignment;
    let nextItem = null;
    if (upcoming) {
      try {
        nextItem = await withPicture(upcoming);
      } catch (err) {
        if (err.status !== GONE) return fail(err); // a gone tile: the next request brings another
      }
    }
    const current = state.current;
    if (!current || current.answered) {
      // the screen shows an answered tile: put the new one up at once
      if (nextItem) {
        show(nextItem);
        prefetch();
      } else if (!current || current === item) {
        state.current = null;
        loadFirst();
      } // else the answer in flight for the tile on screen brings or asks for the next one
    } else if (nextItem && !state.next && nextItem.id !== current.id) {
      state.next = nextItem;
    } else if (nextItem) {
      release(nextItem);
    }
  }

  async function toggleContext() {
    const item = state.current;
    if (state.mode !== "review" || !item) return;
    state.showingContext = !state.showingContext;
    if (state.showingContext && !item.contextUrl) {
      try {
        item.contextUrl = URL.createObjectURL(await api(item.context, { blob: true }));
      } catch (err) {
        state.showingContext = false;
        return say(err.message);
      }
    }
    if (state.current !== item) return;
    $("tile").src = state.showingContext ? item.contextUrl : item.imageUrl;
    $("viewer").classList.toggle("context", state.showingContext);
    $("btn-context").setAttribute("aria-pressed", String(state.showingContext));
  }

  function setZoom(index) {
    state.zoom = index % ZOOMS.length;
    const viewer = $("viewer");
    viewer.dataset.zoom = String(ZOOMS[state.zoom]);
    $("zoom-level").textContent = `${ZOOMS[state.zoom]}×`;
    if (state.zoom) {
      // start zoomed on the centre of the tile
      requestAnimationFrame(() => {
        viewer.scrollLeft = (viewer.scrollWidth - viewer.clientWidth) / 2;
        viewer.scrollTop = (viewer.scrollHeight - viewer.clientHeight) / 2;
      });
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const onButton = event.target instanceof HTMLButtonElement;
    if (ANSWER_KEYS[event.key]) {
      event.preventDefault();
      answer(ANSWER_KEYS[event.key]);
    } else if (state.mode === "practice" && (event.key === "Enter" || event.key === " ")) {
      if (onButton && event.key === "Enter") return; // the focused button's own click
      event.preventDefault();
      practiceNext();
    } else if (event.key === " ") {
      event.preventDefault();
      toggleContext();
    } else if ((event.key === "z" || event.key === "Z") && !$("btn-zoom").disabled) {
      event.preventDefault();
      setZoom(state.zoom + 1);
    }
  }

  // ── joining, by an invite link opened now or earlier ─────────────────────────────────────────
  async function join() {
    state.generation += 1;
    const generation = state.generation;
    clearTimeout(state.waitTimer);
    await state.chain.catch(() => {}); // answers of the previous invite go out under its token first
    if (generation !== state.generation) return;
    release(state.current);
    release(state.next);
    Object.assign(state, { current: null, next: null, pending: new Set(), progress: null, idle: false,
                           note: null });
    setMode("none");
    hidePanel();
    say("");
    renderProgress();
    state.token = takeToken();
    if (!state.token) return noTile(NO_INVITE);
    noTile("Joining…");
    let p;
    try {
      p = await api("/api/v1/join", { method: "POST" });
    } catch (err) {
      if (generation === state.generation) fail(err);
      return;
    }
    if (generation !== state.generation) return;
    document.body.dataset.ready = "1";
    setMode("review");
    showProgress(p);
    if (state.mode !== "review") return; // a failed entry check, explained
    if (localStorage.getItem(PRACTISED_KEY)) loadFirst();
    else startPractice(loadFirst);
  }

  function start() {
    for (const b of document.querySelectorAll("nav.answers button")) {
      b.addEventListener("click", () => answer(b.dataset.answer));
    }
    $("btn-context").addEventListener("click", toggleContext);
    $("btn-zoom").addEventListener("click", () => setZoom(state.zoom + 1));
    $("practice-next").addEventListener("click", practiceNext);
    $("practice-skip").addEventListener("click", finishPractice);
    $("exam-practise").addEventListener("click", () => { hidePanel(); startPractice(retryExam); });
    $("exam-retry").addEventListener("click", retryExam);
    document.addEventListener("keydown", onKey);
    // a second invite link opened in this tab changes only the #part: join with it
    window.addEventListener("hashchange", () => { if (/invite=/.test(location.hash)) join(); });
    join();
  }

  start();
})();
