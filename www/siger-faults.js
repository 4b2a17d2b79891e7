// How the Siger worker (siger-worker.js) tells a crash from an error, and says what happened: a
// Rust panic traps the wasm instance (WebAssembly.RuntimeError: "unreachable") while its message
// goes to console.error, kept here so that the error can name it; a panic inside a callback,
// which fails no call, is turned into the failure of the engine call awaiting it. Errors cross
// to the page as plain data.

/**
 * A panic inside a callback (wgpu's buffer-mapping callback after a lost device, say) fails no
 * call: it surfaces as the worker's uncaught error, and the engine call awaiting that callback
 * never settles. `watched` makes that call fail with the panic, so the usual recovery runs.
 */
let awaitingEngine = null; // {reject} of the engine call being awaited
export function watched(promise) {
  return new Promise((resolve, reject) => {
    awaitingEngine = { reject };
    promise.then(resolve, reject).finally(() => (awaitingEngine = null));
  });
}

function onUncaught(event, error) {
  if (!isCrash(error)) return;
  event.preventDefault(); // handled here: the page is not told the worker failed
  awaitingEngine?.reject(error);
}
self.addEventListener('error', (event) => onUncaught(event, event.error));
self.addEventListener('unhandledrejection', (event) => onUncaught(event, event.reason));

export function isCrash(err) {
  return err instanceof WebAssembly.RuntimeError;
}

/**
 * The panic hook writes the panic's message to console.error, while the error thrown says only
 * "unreachable": the last panic is kept so that errors can say what happened.
 */
let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('panicked at')) {
    lastPanic = args[0].split('\n').slice(0, 2).join(' ');
  }
  consoleError(...args);
};

/** A new request begins: a panic from an earlier one must not explain its failure. */
export function forgetPanic() {
  lastPanic = null;
}

export function abortError() {
  return new DOMException('The request was aborted.', 'AbortError');
}

export function errorMessage(err) {
  const message = err instanceof Error || err instanceof DOMException ? err.message : String(err);
  return isCrash(err) && lastPanic ? `${message} (the engine ${lastPanic})` : message;
}

/** Errors cross to the page as plain data; siger.js turns them back into Errors. */
export function serializeError(err) {
  if (err instanceof Error || err instanceof DOMException) {
    return { name: err.name, message: errorMessage(err), stack: err.stack };
  }
  return { name: 'Error', message: String(err) };
}
