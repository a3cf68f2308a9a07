/**
 * The register picker of the get and set nodes' edit dialogs: a searchable list of the
 * registers of the device behind the chosen port (the whole catalogue, with a device family
 * filter, while the port is not deployed). The admin endpoint sends them in the picker's
 * order — the values people watch first, then the rest in groups — with what a write needs
 * and the range a value must lie in for that device. Device commands (restore defaults, clear
 * history, …) stay hidden until the user asks for them. Node-RED serves this file from the
 * package's resources folder; the dialogs load it with a <script> tag.
 */
(function () {
  // The get and set dialogs each include this file; the editor page runs it once per include.
  if (window.VeDirectEditor) return;

  function hexId(id) {
    return '0x' + ('0000' + Number(id).toString(16).toUpperCase()).slice(-4);
  }

  /** Writing it wears the device's flash memory or triggers an action. */
  function isFlash(r) {
    return r.optIn === 'flash' || r.optIn === 'command' || r.storage === 'flash' || r.storage === 'command';
  }

  /** "0 … 30 A" */
  function rangeText(range) {
    if (!range) return '';
    return range.min + ' … ' + range.max + (range.unit ? ' ' + range.unit : '');
  }

  /** The entry a typed name or id stands for, or null. */
  function lookup(registers, text) {
    var key = String(text || '').trim().toLowerCase();
    if (key === '') return null;
    for (var i = 0; i < registers.length; i++) {
      var r = registers[i];
      if (r.name.toLowerCase() === key || hexId(r.id).toLowerCase() === key) return r;
    }
    return null;
  }

  /**
   * o: { port, search, family, list, note, commands (a checkbox: show device commands; optional):
   * selectors; t: the dialog's translate function (keys picker.*, access.*, family.*, group.*,
   * optIn.*); accepts(register): shown or not; chosen(): the names or ids chosen now;
   * onPick(register); onLoad(registers) optional; showRange: show each row's range }.
   * Returns { refresh(), registers() }.
   */
  function registerPicker(o) {
    var t = o.t;
    var all = [];

    function isChosen(r, chosen) {
      var name = r.name.toLowerCase();
      var id = hexId(r.id).toLowerCase();
      return chosen.some(function (c) {
        var key = String(c).trim().toLowerCase();
        return key === name || key === id;
      });
    }

    function row(r, chosen) {
      var picked = isChosen(r, chosen);
      var $row = $('<li class="ve-direct-register">')
        .toggleClass('ve-direct-register-chosen', picked)
        .attr('data-register', r.name)
        .attr('title', t(picked ? 'picker.chosen' : 'picker.add'));
      var $head = $('<div class="ve-direct-register-head">')
        .append($('<i class="fa ve-direct-register-mark">').addClass(picked ? 'fa-check-square-o' : 'fa-square-o'))
        .append($('<span class="ve-direct-register-name">').text(r.name))
        .append($('<code class="ve-direct-register-id">').text(hexId(r.id)))
        .append(r.unit ? $('<span class="ve-direct-register-tag">').text(r.unit) : '')
        .append($('<span class="ve-direct-register-tag">').text(t('access.' + r.access)));
      // In the list only limits someone chose (catalogue, product, physics): what the register
      // merely encodes (±2147483.648 A) is noise there; the chosen register's line shows it.
      if (o.showRange && r.range && r.range.source !== 'register encoding') $head.append($('<span class="ve-direct-register-tag ve-direct-register-range">').text(rangeText(r.range)));
      if (r.optIn === 'flash' || r.optIn === 'command') {
        $head.append(
          $('<span class="ve-direct-register-optin">')
            .addClass('ve-direct-register-optin-' + r.optIn)
            .append($('<i class="fa">').addClass(r.optIn === 'command' ? 'fa-bolt' : 'fa-exclamation-triangle'))
            .append(' ')
            .append($('<span>').text(t('picker.' + r.optIn)))
        );
      }
      $row.append($head).append($('<div class="ve-direct-register-desc">').text(r.description));
      $row.on('click', function () { o.onPick(r); });
      return $row;
    }

    function render() {
      var text = String($(o.search).val() || '').toLowerCase();
      var family = $(o.family).val();
      var commands = o.commands ? $(o.commands).is(':checked') : true;
      var chosen = o.chosen ? o.chosen() : [];
      var $list = $(o.list).empty();
      var shown = 0;
      var group = null;
      all.forEach(function (r) {
        if (!o.accepts(r)) return;
        if (r.group === 'command' && !commands) return;
        if (family && r.families.indexOf(family) < 0) return;
        if (text && (r.name + ' ' + hexId(r.id) + ' ' + r.description).toLowerCase().indexOf(text) < 0) return;
        if (r.group !== group) {
          group = r.group;
          $list.append($('<li class="ve-direct-register-group">').attr('data-group', group).text(t('group.' + group)));
        }
        shown++;
        $list.append(row(r, chosen));
      });
      if (shown === 0) $list.append($('<li class="ve-direct-register-none">').text(t('picker.none')));
    }

    function load() {
      var port = $(o.port).val();
      var query = port && port !== '_ADD_' ? { port: port } : {};
      $(o.note).text(t('picker.loading'));
      $.getJSON('ve-direct/registers', query)
        .done(function (result) {
          all = result.registers || [];
          if ($family.children().length === 1) {
            (result.families || []).forEach(function (f) { $family.append($('<option>').val(f).text(t('family.' + f))); });
          }
          if (result.device) {
            $(o.note).text(t('picker.device', { device: [result.device.product, result.device.serial].filter(Boolean).join(' ') }));
          } else {
            $(o.note).text(t(result.family ? 'picker.family' : 'picker.catalogue'));
          }
          $(o.family).val(result.family || '');
          render();
          if (o.onLoad) o.onLoad(all);
        })
        .fail(function (xhr) {
          $(o.note).text(t('picker.failed', { message: xhr.statusText || String(xhr.status) }));
        });
    }

    var $family = $(o.family).empty().append($('<option value="">').text(t('family.all')));
    $(o.search).on('input', render);
    $family.on('change', render);
    if (o.commands) $(o.commands).on('change', render);
    $(o.port).on('change', load);
    load();
    return {
      refresh: render,
      registers: function () { return all; }
    };
  }

  window.VeDirectEditor = { registerPicker: registerPicker, hexId: hexId, isFlash: isFlash, rangeText: rangeText, lookup: lookup };
})();
