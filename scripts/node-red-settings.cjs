// Settings of the local Node-RED that `npm start` runs: loopback only, no telemetry, no
// network look-ups, the user directory and port from the start script.
/* global module, process */
module.exports = {
  uiHost: process.env.VE_DIRECT_HOST || '127.0.0.1',
  uiPort: Number(process.env.VE_DIRECT_PORT || 1880),
  userDir: process.env.VE_DIRECT_USER_DIR,
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: 've-direct-local-demo',
  logging: { console: { level: process.env.VE_DIRECT_LOG_LEVEL || 'info', metrics: false, audit: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  editorTheme: {
    tours: false,
    projects: { enabled: false },
    palette: { catalogues: [] },
    page: { title: 'Node-RED · VE.Direct' },
  },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
};
