/** The page's frame: the upload panel and job list at `#/`, a job at `#/jobs/<id>` (hash routes: any static host serves them). */
import { Route, Router, Switch } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import type { JobApiClient } from '../../shared/job-api-client.ts';
import { JobList } from './jobs/job-list.tsx';
import { JobPage } from './jobs/job-page.tsx';
import { UploadPanel } from './uploads/upload-panel.tsx';

export function App({ api, onSignOut }: { api: JobApiClient; onSignOut: () => void }) {
  return (
    <Router hook={useHashLocation}>
      <header className="top">
        <h1>
          <a href="#/">Fanout</a>
        </h1>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        <Switch>
          <Route path="/jobs/:jobId">{(params) => <JobPage api={api} jobId={params.jobId} key={params.jobId} />}</Route>
          <Route>
            <UploadPanel api={api} />
            <JobList api={api} />
          </Route>
        </Switch>
      </main>
    </Router>
  );
}
