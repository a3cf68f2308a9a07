/**
 * The port lists of the bridge's and the charge limit's edit dialogs: one checkbox row per
 * ve-direct-port config node, the chosen ones first in their order, sortable by a handle, each
 * with the device found behind it. A list offers the device families it is for; ports not
 * identified yet stay, and a port of another family stays only while it is ticked, marked.
 * Node-RED serves this file from the package's resources folder; the dialogs load it with a
 * <script> tag.
 */
(function () {
  // Each dialog that uses it includes this file; the editor page runs it once per include.
  if (window.VeDirectPortChecklist) return;

  var PORT_TYPE = 've-direct-port';

  function portLabel(port) {
    return port.name || port.path || port.id;
  }

  /** A row's secondary line: the device found, its product and serial. */
  function deviceText(identity) {
    return identity ? [identity.product, identity.serial].filter(Boolean).join(' ') : '';
  }

  /**
   * What the runtime knows about each port's device: a deployed port's device (admin route of the
   * ve-direct-port node, by port node id) and the simulated devices' families and the devices of
   * ports another node owns (the port list, by path). Calls `onChange` each time more is known.
   * Returns known(port): { family, identity }, family null while the port is not identified.
   */
  function portDevices(onChange) {
    var byId = {};
    var byPath = {};
    $.getJSON('ve-direct/ports').done(function (result) {
      (result.ports || []).forEach(function (p) {
        byPath[String(p.path).toLowerCase()] = p;
        byPath[String(p.device).toLowerCase()] = p;
      });
      onChange();
    });
    RED.nodes.eachConfig(function (c) {
      if (c.type !== PORT_TYPE) return;
      $.getJSON('ve-direct/ports/' + encodeURIComponent(c.id) + '/status').done(function (d) {
        byId[c.id] = d;
        onChange();
      });
    });
    return function known(port) {
      var d = port && byId[port.id];
      if (d && d.identity && d.identity.family) return { family: d.identity.family, identity: d.identity };
      var p = port && port.path ? byPath[String(port.path).toLowerCase()] : null;
      return { family: p && p.family ? p.family : null, identity: p && p.identity ? p.identity : (d && d.identity) || null };
    };
  }

  /**
   * Fills `$list` and returns show(), which hides and marks the rows by family again (call it
   * when known() knows more, or a box is ticked). o: chosen (port ids, in their order),
   * families (the device families this list offers), known (from portDevices), role (the
   * checkboxes' data-role, optional), text: the dialog's translated texts: noPorts, none (no port
   * of the list's families), unidentified, wrongFamily (a row's warning title), family(f).
   */
  function fill($list, o) {
    $list.empty().addClass('ve-direct-checklist');
    var ports = [];
    RED.nodes.eachConfig(function (c) {
      if (c.type === PORT_TYPE) ports.push(c);
    });
    ports.sort(function (a, b) {
      var ia = o.chosen.indexOf(a.id), ib = o.chosen.indexOf(b.id);
      if (ia === -1 && ib === -1) return portLabel(a).localeCompare(portLabel(b));
      if (ia === -1) return 1;
      if (ib === -1) return -1;
      return ia - ib;
    });
    var $empty = $('<li class="ve-direct-checklist-empty">').text(o.text.noPorts).appendTo($list);
    ports.forEach(function (port) {
      var $row = $('<li class="ve-direct-checklist-port">').attr('data-id', port.id);
      $('<i class="fa fa-bars ve-direct-checklist-handle">').appendTo($row);
      var $box = $('<input type="checkbox">').val(port.id).prop('checked', o.chosen.indexOf(port.id) !== -1);
      if (o.role) $box.attr('data-role', o.role);
      var $text = $('<span class="ve-direct-checklist-text">');
      $('<span class="ve-direct-checklist-line">')
        .append($('<span class="ve-direct-checklist-name">').text(portLabel(port)))
        .append($('<span class="ve-direct-checklist-device">'))
        .appendTo($text);
      $('<span class="ve-direct-checklist-line ve-direct-checklist-path">').text(port.name ? port.path || '' : '').attr('title', port.path || '').appendTo($text);
      $('<label>').append($box).append($text).appendTo($row);
      $list.append($row);
    });
    if ($.fn.sortable) $list.sortable({ axis: 'y', handle: '.ve-direct-checklist-handle', items: '> .ve-direct-checklist-port' });

    function show() {
      var shown = 0;
      $list.children('.ve-direct-checklist-port').each(function () {
        var $row = $(this);
        var info = o.known(RED.nodes.node($row.attr('data-id')));
        var mine = info.family === null || o.families.indexOf(info.family) !== -1;
        var ticked = $row.find('input[type=checkbox]').is(':checked');
        $row.find('.ve-direct-checklist-device').text(info.family === null ? o.text.unidentified : deviceText(info.identity) || o.text.family(info.family));
        $row.toggleClass('ve-direct-checklist-unidentified', info.family === null);
        $row.toggleClass('ve-direct-checklist-wrong', !mine);
        $row.attr('title', mine ? '' : o.text.wrongFamily);
        $row.toggle(mine || ticked);
        if (mine || ticked) shown++;
      });
      $empty.text(ports.length === 0 ? o.text.noPorts : o.text.none).toggle(shown === 0);
    }
    show();
    return show;
  }

  /** The ids of the ticked ports, in the list's order. */
  function chosen($list) {
    return $list.find('input[type=checkbox]:checked').map(function () { return $(this).val(); }).get();
  }

  window.VeDirectPortChecklist = { portDevices: portDevices, fill: fill, chosen: chosen };
})();
