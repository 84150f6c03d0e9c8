;;; sm-lint.el --- sm-lint with eglot or lsp-mode -*- lexical-binding: t; -*-
;; Add to your init file (or load it from there). Both Python major modes are covered:
;; python-mode and python-ts-mode (the tree-sitter mode of Emacs 29+).
;;
;; eglot (the default): eglot runs one server per major mode, so sm-lint is registered for
;; the Python modes here; use a multiplexer such as rassumfrassum or lspx to run it next to
;; another Python server.
;;
;; lsp-mode: (setq sm-lint-client 'lsp-mode) before loading this file. sm-lint is then an
;; add-on server, started beside the other Python servers (pylsp, pyright, ruff, ...).

(defvar sm-lint-client 'eglot
  "The LSP client that starts sm-lint in Python buffers: `eglot' or `lsp-mode'.")

(defvar sm-lint-modes '(python-mode python-ts-mode)
  "The major modes sm-lint starts in.")

(defvar sm-lint-initialization-options '(:models ["models"])
  "What the server is started with: model folders, select, ignore (as `[tool.sm-lint]').")

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               `(,sm-lint-modes . ("sm-lint" "server" :initializationOptions
                                    ,sm-lint-initialization-options))))

(with-eval-after-load 'lsp-mode
  (dolist (mode sm-lint-modes)
    (add-to-list 'lsp-language-id-configuration `(,mode . "python")))
  (lsp-register-client
   (make-lsp-client :new-connection (lsp-stdio-connection '("sm-lint" "server"))
                    :major-modes sm-lint-modes
                    :add-on? t
                    :server-id 'sm-lint
                    :initialization-options (lambda () sm-lint-initialization-options))))

(defun sm-lint-start ()
  "Start sm-lint in this buffer with `sm-lint-client'."
  (if (eq sm-lint-client 'lsp-mode)
      (lsp-deferred)
    (eglot-ensure)))

(dolist (mode sm-lint-modes)
  (add-hook (intern (format "%s-hook" mode)) #'sm-lint-start))
;;; sm-lint.el ends here
