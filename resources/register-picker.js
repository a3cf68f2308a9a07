/**
 * The register picker of the get and set nodes' edit dialogs: a searchable list of the
 * registers of the device behind the chosen port (the whole catalogue, with a device family
 * filter, while the port is not deployed). Node-RED serves this file from the package's
 * resources folder; the dialogs load it with a <script> tag.
 */
(function () {
  // The get and set dialogs each include this file; the editor page runs it once per include.
  if (window.VeDirectEditor) return;
  var FAMILIES = ['bmv', 'smartshunt', 'mppt', 'inverter', 'charger', 'dcdc', 'other'];

  function hexId(id) {
    return '0x' + ('0000' + Number(id).toString(16).toUpperCase()).slice(-4);
  }

  /** Writing it wears the device's flash memory or triggers an action. */
  function isFlash(r) {
    return r.storage === 'flash' || r.storage === 'command';
  }

  /**
   * o: { port, search, family, list, note: selectors; t: the dialog's translate function
   * (keys picker.*, access.*, family.*); accepts(register): shown or not; onPick(register);
   * onLoad(registers) optional }.
   */
  function registerPicker(o) {
    var t = o.t;
    var all = [];

    function render() {
      var text = String($(o.search).val() || '').toLowerCase();
      var family = $(o.family).val();
      var $list = $(o.list).empty();
      var shown = 0;
      all.forEach(function (r) {
        if (!o.accepts(r)) return;
        if (family && r.families.indexOf(family) < 0) return;
        if (text && (r.name + ' ' + hexId(r.id) + ' ' + r.description).toLowerCase().indexOf(text) < 0) return;
        shown++;
        var $row = $('<li class="ve-direct-register">').attr('title', t('picker.add'));
        var $head = $('<div>')
          .append($('<span class="ve-direct-register-name">').text(r.name))
          .append(' ')
          .append($('<code>').text(hexId(r.id)))
          .append(r.unit ? $('<span class="ve-direct-register-tag">').text(r.unit) : '')
          .append($('<span class="ve-direct-register-tag">').text(t('access.' + r.access)));
        if (isFlash(r)) $head.append($('<i class="fa fa-exclamation-triangle ve-direct-register-flash">').attr('title', t('picker.flash')));
        $row.append($head).append($('<div class="ve-direct-register-desc">').text(r.description));
        $row.on('click', function () { o.onPick(r); });
        $list.append($row);
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
    FAMILIES.forEach(function (f) { $family.append($('<option>').val(f).text(t('family.' + f))); });
    $(o.search).on('input', render);
    $family.on('change', render);
    $(o.port).on('change', load);
    load();
  }

  window.VeDirectEditor = { registerPicker: registerPicker, hexId: hexId, isFlash: isFlash };
})();
