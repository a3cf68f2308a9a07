/**
 * Import → Examples adds an example's flow as a tab of its own, but Node-RED leaves the editor
 * on the tab that was open, often an empty one, so the import seems to have done nothing. Show
 * the example's tab instead. Example tabs are labelled "<n> · <title>"; tabs that exist when
 * the editor loads, and tabs the user adds, are left alone.
 */
(function () {
  if (window.VeDirectExamplesTab) return;
  window.VeDirectExamplesTab = true;
  var EXAMPLE_TAB = /^\d+ · /;
  var loaded = false;
  RED.events.on('flows:loaded', function () {
    loaded = true;
  });
  RED.events.on('flows:add', function (ws) {
    if (!loaded || !ws || ws.type !== 'tab' || !EXAMPLE_TAB.test(ws.label || '')) return;
    // The import is still adding the tab's nodes; show it once that is done.
    setTimeout(function () {
      if (RED.nodes.workspace(ws.id)) RED.workspaces.show(ws.id);
    }, 0);
  });
})();
