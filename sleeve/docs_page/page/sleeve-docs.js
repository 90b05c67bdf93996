// Starts Swagger UI on sleeve's contract. A file of its own, not an inline script, so that
// the page's Content-Security-Policy can forbid inline scripts.
"use strict";
(function () {
  // Where this sleeve is, as the browser reached it, a proxy's path prefix included: the
  // page is <base>docs, so the contract is <base>openapi.json. Every URL here is relative
  // to it, so the page works wherever sleeve is mounted.
  const base = new URL(".", document.baseURI);
  const prefix = base.pathname.replace(/\/$/, ""); // "" when sleeve is at the root
  const root = document.getElementById("swagger-ui");

  // The document's servers are relative to where it is served (`/`: "this sleeve"). Under a
  // path prefix, "/" would mean the proxy's root, so "Try it out" gets the prefix added.
  function servedHere(documentServers) {
    const servers = documentServers && documentServers.length ? documentServers : [{ url: "/" }];
    if (!prefix) return servers;
    return servers.map(function (server) {
      if (!server.url.startsWith("/")) return server;
      return Object.assign({}, server, { url: prefix + (server.url === "/" ? "" : server.url) });
    });
  }

  function failed(message) {
    const note = document.createElement("p");
    note.className = "sleeve-docs-note";
    note.textContent = message;
    root.replaceChildren(note);
  }

  fetch(new URL("openapi.json", base), { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("openapi.json answered " + response.status);
      return response.json();
    })
    .then(function (contract) {
      contract.servers = servedHere(contract.servers);
      window.ui = SwaggerUIBundle({
        spec: contract,
        dom_id: "#swagger-ui",
        deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        validatorUrl: null, // never ask an outside validator: the page stays offline
        displayOperationId: true,
        filter: true,
        tryItOutEnabled: false,
      });
    })
    .catch(function (error) {
      failed("The contract could not be loaded (" + error.message + "). It is at openapi.json.");
    });
})();
