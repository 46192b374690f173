// Errors the Docker daemon answers with. The CLI prints `Error response from daemon: MESSAGE`
// (docker run: `docker: Error response from daemon: MESSAGE`); a few CLI-side checks print their
// own text. Messages are copied from moby where each is raised (the path is cited at the throw site).

export class DaemonError extends Error {}

/** An error the docker CLI itself reports, before talking to the daemon (flag parsing, validation). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
  }
}
