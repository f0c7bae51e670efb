// The web example: the article's `experimental-ui` flag, evaluated by the OpenFeature web SDK
// through the OFREP web provider with a public client key (see ../README.md).
import { OFREPWebProvider, OpenFeature, ProviderEvents } from '/openfeature.js';
import config from '/config.js';

const FLAG = 'experimental-ui';
const $ = (id) => document.getElementById(id);

const user = localStorage.getItem('example-user') ?? `visitor-${Math.random().toString(36).slice(2, 8)}`;
localStorage.setItem('example-user', user);
$('user').value = user;
$('admin-link').href = `${config.coordinatorUrl}/admin#/flags/${FLAG}`;

const client = OpenFeature.getClient();

function render() {
  const details = client.getBooleanDetails(FLAG, false);
  document.body.classList.toggle('experimental', details.value);
  $('flag-value').textContent = details.value ? 'on' : 'off';
  $('banner').hidden = !details.value;
  $('flag-variant').textContent = details.variant ?? '—';
  $('flag-reason').textContent = details.errorCode ? `${details.reason} (${details.errorCode})` : details.reason;
  $('flag-version').textContent = String(details.flagMetadata.version ?? '—');
  $('flag-updated').textContent = new Date().toLocaleTimeString();
  $('status').textContent = details.errorCode
    ? `Using the default: ${details.errorMessage ?? details.errorCode}`
    : `Polling ${config.coordinatorUrl} every ${config.pollIntervalMs / 1000} s`;
}

$('user-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const next = $('user').value.trim();
  if (!next) return;
  localStorage.setItem('example-user', next);
  await OpenFeature.setContext({ targetingKey: next });
});

// The context first, then the provider: its first bulk evaluation is for this user.
await OpenFeature.setContext({ targetingKey: user });
try {
  await OpenFeature.setProviderAndWait(
    new OFREPWebProvider({
      baseUrl: config.coordinatorUrl,
      headers: [['Authorization', `Bearer ${config.clientKey}`]],
      pollInterval: config.pollIntervalMs,
    }),
  );
} catch (error) {
  console.error('flag provider failed to start', error);
}
// Listen once the provider is ready, so nothing renders the no-op provider's defaults.
client.addHandler(ProviderEvents.ConfigurationChanged, render);
client.addHandler(ProviderEvents.ContextChanged, render);
client.addHandler(ProviderEvents.Error, (event) => {
  $('status').textContent = `The coordinator refused or is unreachable: ${event?.message ?? 'see the console'}`;
});
render();
