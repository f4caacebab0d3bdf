// Runs one KoyaLite edge function:
// `deno run [permissions] bootstrap.js PORT ENTRY PROBE`.
//
// The function calls `Deno.serve(handler)` (or exports `default { fetch }`), as
// on Supabase; this file binds that server to 127.0.0.1:PORT, tells the
// supervisor it is ready with one marker line on stdout, answers an uncaught
// error as Supabase's relay does, and exits when the supervisor's end of
// stdin closes, so a killed supervisor leaves no Deno behind. A request
// carrying `x-koyalite-probe: PROBE` is answered 204 here, without the
// function: the relay asks it whether the process still answers at all.
const [port, entry, probe] = Deno.args;
const READY = "\u0000koyalite:ready";
const realServe = Deno.serve.bind(Deno);
let server = null;

function workerError(error) {
  console.error(error);
  return new Response(
    JSON.stringify({
      code: "WORKER_ERROR",
      message: "Function exited due to an error (please check logs)",
    }),
    {
      status: 500,
      headers: {
        "content-type": "application/json",
        "sb-error-code": "EDGE_FUNCTION_ERROR",
      },
    },
  );
}

function answeringProbes(handler) {
  return (request, info) =>
    request.headers.get("x-koyalite-probe") === probe
      ? new Response(null, { status: 204 })
      : handler(request, info);
}

function serve(...args) {
  if (server !== null) {
    throw new Error("Deno.serve was called twice; a function serves once");
  }
  let options = {};
  let handler;
  if (typeof args[0] === "function") {
    handler = args[0];
  } else {
    options = args[0] ?? {};
    handler = typeof args[1] === "function" ? args[1] : options.handler;
  }
  if (typeof handler !== "function") {
    throw new TypeError("Deno.serve needs a handler function");
  }
  server = realServe(
    {
      hostname: "127.0.0.1",
      port: Number(port),
      onError: options.onError ?? workerError,
      onListen() {
        console.log(READY);
      },
    },
    answeringProbes(handler),
  );
  return server;
}

Deno.serve = serve;
(async () => {
  // EOF on stdin: the supervisor is gone.
  for await (const _ of Deno.stdin.readable) {
    // The supervisor never writes; drain anything that arrives.
  }
  Deno.exit(0);
})();

const module = await import(entry);
if (server === null) {
  const fetchHandler = module.default?.fetch;
  if (typeof fetchHandler !== "function") {
    console.error(
      "the function neither called Deno.serve(handler) nor exported default { fetch }",
    );
    Deno.exit(1);
  }
  serve((request, info) => fetchHandler.call(module.default, request, info));
}
