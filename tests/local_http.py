"""A local HTTP server for tests of downloads (engine.keras.datasets, utils.get_file):
these machines have no internet, and the download code must be exercised for real."""

import hashlib
import http.server
import threading


class Server:
    """Serves `files` (name -> bytes) on 127.0.0.1; names in `truncated` are cut off."""

    def __init__(self):
        self.files, self.truncated, self.requests = {}, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.truncated:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.connection.close()
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def add(self, name, body):
        self.files[name] = body
        return hashlib.sha256(body).hexdigest()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
