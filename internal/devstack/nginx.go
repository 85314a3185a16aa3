package devstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"yoyaku/deploy"
)

// NginxOptions configures StartNginx.
type NginxOptions struct {
	Bin       string // default: nginx on PATH, else /usr/sbin/nginx
	Dir       string // its configuration, pid file and temporary files
	Listen    string // host:port
	Upstreams [2]string
	Out       io.Writer
}

// NginxVars are the variables deploy/nginx/yoyaku.conf.template takes, by name.
func NginxVars(listen string, upstreams [2]string) map[string]string {
	return map[string]string{"YOYAKU_PROXY_LISTEN": listen, "YOYAKU_API_1": upstreams[0], "YOYAKU_API_2": upstreams[1]}
}

var templateVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// RenderNginx does what the nginx image's entrypoint does with the template (envsubst of the variables that
// are set): ${NAME} is replaced for each NAME in vars, anything else is left for nginx. A ${YOYAKU_...} left
// over is an error: a variable the template needs was not given.
func RenderNginx(template string, vars map[string]string) (string, error) {
	out := templateVar.ReplaceAllStringFunc(template, func(m string) string {
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
	if left := templateVar.FindAllString(out, -1); len(left) > 0 {
		for _, l := range left {
			if strings.HasPrefix(l, "${YOYAKU_") {
				return "", fmt.Errorf("nginx template: %s is not set", l)
			}
		}
	}
	return out, nil
}

// NginxBin finds Debian's nginx.
func NginxBin() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", fmt.Errorf("nginx not found: install it with `make nginx` (Debian's nginx-light)")
}

// StartNginx renders deploy/nginx/yoyaku.conf.template into Dir, wraps it in an nginx.conf of its own (the
// image's main configuration does that in compose), starts nginx in the foreground and waits until it
// listens.
func StartNginx(ctx context.Context, o NginxOptions) (*Proc, error) {
	if o.Bin == "" {
		bin, err := NginxBin()
		if err != nil {
			return nil, err
		}
		o.Bin = bin
	}
	conf, err := writeNginxConfig(o)
	if err != nil {
		return nil, err
	}
	if err := checkListenFree(o.Listen); err != nil {
		return nil, err
	}
	// SIGQUIT is nginx's graceful stop: requests in flight finish.
	p, err := Start("nginx", o.Out, syscall.SIGQUIT, nil, nil, o.Bin, "-p", o.Dir, "-c", conf, "-e", "stderr")
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := WaitTCP(wctx, o.Listen); err != nil {
		_ = p.Stop(5 * time.Second)
		select {
		case <-p.Done():
			return nil, fmt.Errorf("nginx exited while starting: %v", p.Err())
		default:
		}
		return nil, err
	}
	return p, nil
}

func checkListenFree(addr string) error {
	_, port, err := splitPort(addr)
	if err != nil {
		return err
	}
	if !PortFree(port) {
		return fmt.Errorf("nginx: port %d is already in use (is another yoyaku stack running?)", port)
	}
	return nil
}

func writeNginxConfig(o NginxOptions) (string, error) {
	tmpl, err := deploy.Files.ReadFile(deploy.NginxTemplate)
	if err != nil {
		return "", err
	}
	site, err := RenderNginx(string(tmpl), NginxVars(o.Listen, o.Upstreams))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "tmp"), 0o755); err != nil {
		return "", fmt.Errorf("nginx: %w", err)
	}
	if os.Geteuid() == 0 { // the workers run as nobody and keep large bodies in tmp/
		if err := ensureTraversable(o.Dir); err != nil {
			return "", err
		}
	}
	sitePath := filepath.Join(o.Dir, "yoyaku.conf")
	if err := os.WriteFile(sitePath, []byte(site), 0o644); err != nil {
		return "", fmt.Errorf("nginx: %w", err)
	}
	main := fmt.Sprintf(`# Written by yoyaku dev --cluster: the main configuration around deploy/nginx/yoyaku.conf.template.
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    include %[2]s;
}
`, o.Dir, sitePath)
	conf := filepath.Join(o.Dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		return "", fmt.Errorf("nginx: %w", err)
	}
	return conf, nil
}
