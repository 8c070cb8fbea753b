// The volunteer page: one tile at a time, answered with 1 / 2 / 3 (or the buttons), space for context,
// z for zoom. The next tile and its picture are fetched while the current one is on screen, so an
// answer shows the next tile at once. The token comes from the invite link's #invite=… and stays in
// this browser only (never in a URL the server logs).
"use strict";

(() => {
  const TOKEN_KEY = "sartriage.token";
  const ANSWER_KEYS = { "1": "person", "2": "no_person", "3": "unsure" };
  const ZOOMS = [1, 2, 4];
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
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

  function showProgress(p) {
    const check = p.exam_state === "pending" && p.exam_size > 0
      ? ` · entry check ${p.exam_answered}/${p.exam_size}`
      : p.exam_state === "failed" ? " · entry check not passed" : "";
    $("progress").textContent = `${p.answers} answered · ${p.open_tiles} tiles waiting${check}`;
    const a = p.accuracy;
    $("accuracy").textContent = a.known_answered
      ? `Your accuracy on ${a.known_answered} known tiles: ${percent(a.accuracy)} ` +
        `(people found ${percent(a.sensitivity)}, empty tiles right ${percent(a.specificity)})`
      : "Your accuracy appears here once you have answered some known tiles.";
  }

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
    state.prefetching = fetchAssignment(holding)
      .then((item) => {
        if (item.none) return;
        const known = state.pending.has(item.id) ||
          [state.current, state.next].some((x) => x && x.id === item.id);
        if (known) release(item); else state.next = item;
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
    setZoom(0);
    const img = $("tile");
    img.src = item.imageUrl;
    document.body.dataset.assignment = item.id;
    say(item.entryCheck ? "Entry check: a few known tiles first, so your answers can count." : "");
    setButtons(true);
  }

  async function loadFirst() {
    setButtons(false);
    clearTimeout(state.waitTimer);
    if (state.next) {
      const next = state.next;
      state.next = null;
      show(next);
      prefetch();
      return;
    }
    try {
      const item = await fetchAssignment(state.current ? [state.current.id] : []);
      if (item.none) {
        state.current = null;
        delete document.body.dataset.assignment;
        $("tile").removeAttribute("src");
        say(item.none);
        state.waitTimer = setTimeout(loadFirst, 10000);
        return;
      }
      show(item);
      prefetch();
    } catch (err) {
      fail(err);
    }
  }

  function fail(err) {
    setButtons(false);
    if (err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      say("This invite is not valid any more. Ask the coordinator for a new link.");
    } else if (err.status === 403) {
      say(err.message);
    } else {
      say(`${err.message} — retrying…`);
      clearTimeout(state.waitTimer);
      state.waitTimer = setTimeout(loadFirst, 5000);
    }
  }

  // A key press switches to the prefetched tile at once; the answers themselves are sent one after
  // another, each bringing the following tile back with it (one round trip per tile).
  function answer(value) {
    const item = state.current;
    if (!item || item.answered || $("btn-person").disabled) return;
    item.answered = true;
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
    let result;
    try {
      result = await api(`/api/v1/assignments/${item.id}/answer`,
                         { method: "POST", body: { answer: value, next: { holding } } });
    } catch (err) {
      state.pending.delete(item.id);
      release(item);
      if (err.status !== 409) return fail(err);
      say(err.message); // the lease ran out; that tile went back to the queue
      return state.current === item ? loadFirst() : prefetch();
    }
    state.pending.delete(item.id);
    state.answered += 1;
    document.body.dataset.answered = String(state.answered);
    showProgress(result.progress);
    release(item);
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
    if (!item) return;
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
    if (ANSWER_KEYS[event.key]) {
      event.preventDefault();
      answer(ANSWER_KEYS[event.key]);
    } else if (event.key === " ") {
      event.preventDefault();
      toggleContext();
    } else if (event.key === "z" || event.key === "Z") {
      event.preventDefault();
      setZoom(state.zoom + 1);
    }
  }

  async function start() {
    state.token = takeToken();
    for (const b of document.querySelectorAll("nav.answers button")) {
      b.addEventListener("click", () => answer(b.dataset.answer));
    }
    $("btn-context").addEventListener("click", toggleContext);
    $("btn-zoom").addEventListener("click", () => setZoom(state.zoom + 1));
    document.addEventListener("keydown", onKey);
    if (!state.token) {
      say("Open the invite link the coordinator sent you to start.");
      return;
    }
    try {
      showProgress(await api("/api/v1/join", { method: "POST" }));
    } catch (err) {
      return fail(err);
    }
    document.body.dataset.ready = "1";
    loadFirst();
  }

  start();
})();
