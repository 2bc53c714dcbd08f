/** The dashboard: reads config.json, signs in, then shows the jobs. A client of the job API, nothing more. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { JobApiClient } from '../../shared/job-api-client.ts';
import { App } from './app.tsx';
import { loadConfig, signIn, type SignIn } from './sign-in.ts';
import './styles.css';

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true } } });

function Root() {
  const [state, setState] = useState<{ api: JobApiClient; session: SignIn } | { error: string } | undefined>();
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    (async () => {
      const config = await loadConfig();
      const session = await signIn(config, refresh);
      const endpoint = config.apiEndpoint || location.origin;
      const token = session.kind === 'signed-in' ? session.token : () => '';
      setState({ api: new JobApiClient(endpoint, token), session });
    })().catch((error: unknown) => setState({ error: error instanceof Error ? error.message : String(error) }));
  }, [generation, refresh]);

  if (!state) return <p className="loading">Signing in…</p>;
  if ('error' in state) return <p role="alert">The dashboard could not start: {state.error}</p>;
  if (state.session.kind === 'needs-key') return <KeyForm onKey={state.session.useKey} />;
  return <App api={state.api} onSignOut={state.session.signOut} />;
}

/** Local, opened without the key in its URL: ask for the one `fanout dev` keeps in its state folder. */
function KeyForm({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <main className="sign-in">
      <h1>Fanout</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onKey(key);
        }}
      >
        <p>
          Open the dashboard URL that <code>npx fanout dev</code> prints, or paste the API key from <code>.fanout/api-key</code>.
        </p>
        <label>
          API key <input type="password" autoComplete="off" value={key} onChange={(event) => setKey(event.target.value)} required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Root />
    </QueryClientProvider>
  </StrictMode>,
);
