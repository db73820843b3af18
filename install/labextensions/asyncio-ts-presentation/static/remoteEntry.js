// The asyncio-ts instructor mode as a JupyterLab 4 federated extension, written by hand: it
// imports nothing, so it needs no webpack build, only the container interface JupyterLab's
// bootstrap calls (init with the share scope, then get("./extension") for a module factory).
// install/jupyterlab.mjs copies it into .cache/jupyterlab/demo/ for `npm start -- --demo`,
// putting the font size in place of __PRESENTATION_FONT_SIZE__; no other JupyterLab loads it.
(function () {
  "use strict";
  var FONT_SIZE = "__PRESENTATION_FONT_SIZE__";

  var plugin = {
    id: "asyncio-ts-presentation:plugin",
    description: "Presentation mode, single-document mode and larger notebook fonts for the instructor mode.",
    autoStart: true,
    activate: function (app) {
      // Presentation mode shows notebooks at these two sizes (JupyterLab's defaults are 16px and
      // 17px); an inline style on <html> wins over the theme's :root, whatever the theme.
      var style = document.documentElement.style;
      style.setProperty("--jp-code-presentation-font-size", FONT_SIZE);
      style.setProperty("--jp-content-presentation-font-size1", FONT_SIZE);
      app.restored.then(function () {
        var shell = app.shell;
        var steps = [];
        if (shell.mode !== "single-document") steps.push(app.commands.execute("application:set-mode", { mode: "single-document" }));
        // A CSS class on the shell that no setting or URL sets: only this command.
        if (!shell.presentationMode) steps.push(app.commands.execute("application:toggle-presentation-mode"));
        if (typeof shell.collapseLeft === "function") shell.collapseLeft();
        if (typeof shell.collapseRight === "function") shell.collapseRight();
        return Promise.all(steps);
      }).catch(function (err) {
        console.error("asyncio-ts instructor mode:", err);
      });
    },
  };

  var exports = { __esModule: true, default: [plugin] };
  var root = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  root["asyncio-ts-presentation"] = {
    init: function () {
      return Promise.resolve();
    },
    get: function (module) {
      if (module !== "./extension") return Promise.reject(new Error("asyncio-ts-presentation has no module " + module));
      return Promise.resolve(function () {
        return exports;
      });
    },
  };
})();
