// GraphiQL on /graphql/v1 as the role the page's query string names. The
// headers are minted by the Studio (operator session + CSRF) when the page
// loads, and never shown in the HTML.
(function () {
  "use strict";
  const state = JSON.parse(document.getElementById("graphql-state").textContent);
  const role = document.getElementById("graphql-role");
  const user = document.getElementById("graphql-user");
  role.addEventListener("change", () => {
    user.disabled = role.value !== "user";
  });

  async function start() {
    const host = document.getElementById("graphiql");
    let headers;
    try {
      const body = { role: state.role === "user" ? "user" : state.role };
      if (state.role === "user") body.user = state.user || user.value;
      headers = await window.Studio.api("/studio/api/graphql/credentials", { method: "POST", body });
    } catch (error) {
      host.textContent = "Could not get credentials: " + error.message;
      return;
    }
    const fetcher = async (params) => {
      const response = await fetch("/graphql/v1", {
        method: "POST",
        credentials: "omit",
        headers: {
          "Content-Type": "application/json",
          apikey: headers.apikey,
          Authorization: headers.authorization,
        },
        body: JSON.stringify(params),
      });
      return response.json();
    };
    const root = window.ReactDOM.createRoot(host);
    root.render(
      window.React.createElement(window.GraphiQL, {
        fetcher,
        defaultEditorToolsVisibility: true,
        storage: window.localStorage,
      }),
    );
  }
  // studio.js is deferred: window.Studio exists once the DOM is loaded.
  document.addEventListener("DOMContentLoaded", start);
})();
