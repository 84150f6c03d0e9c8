;;; test-sm-lint.el --- headless check of sm-lint.el -*- lexical-binding: t; -*-
;; Used by tests/test_editors.py: loads sm-lint.el into a real Emacs (batch), reports what it
;; registered and, with eglot, opens $SM_LINT_FILE and waits for sm-lint's diagnostics
;; (flymake). Writes JSON to $SM_LINT_OUT.
(require 'json)
(require 'seq)
(require 'eglot)
(defvar sm-lint-test-lsp-mode (require 'lsp-mode nil t))
(load (expand-file-name "sm-lint.el" (file-name-directory load-file-name)))

(defun sm-lint-test--registered ()
  "What sm-lint.el registered with eglot, lsp-mode and the major modes' hooks."
  (let ((eglot-entry (seq-find (lambda (e) (equal (seq-take (cdr e) 2) '("sm-lint" "server")))
                               eglot-server-programs))
        (client (and sm-lint-test-lsp-mode (gethash 'sm-lint lsp-clients))))
    `((eglot_modes . ,(vconcat (car eglot-entry)))
      (hooks . ,(vconcat (seq-filter (lambda (mode)
                                       (memq 'sm-lint-start
                                             (symbol-value (intern (format "%s-hook" mode)))))
                                     '(python-mode python-ts-mode))))
      (lsp_modes . ,(and client (vconcat (lsp--client-major-modes client))))
      (lsp_add_on . ,(and client (lsp--client-add-on? client) t))
      (lsp_language_ids
       . ,(and client (vconcat (mapcar (lambda (m) (alist-get m lsp-language-id-configuration))
                                       '(python-mode python-ts-mode))))))))

(defun sm-lint-test--diagnostics ()
  "Open the file (python-mode), let eglot connect, wait up to 60 s for flymake's diagnostics."
  (find-file (getenv "SM_LINT_FILE"))
  (run-hooks 'post-command-hook) ; eglot-ensure connects at the end of the next command
  (let ((deadline (+ (float-time) 60)) found)
    (while (and (not found) (< (float-time) deadline))
      (accept-process-output nil 0.2)
      (when (bound-and-true-p flymake-mode) (flymake-start))
      (setq found (flymake-diagnostics)))
    `((mode . ,major-mode)
      (server . ,(let ((server (eglot-current-server)))
                   (and server (vconcat (process-command (jsonrpc--process server))))))
      (diagnostics . ,(vconcat
                       (mapcar (lambda (d)
                                 `((line . ,(line-number-at-pos (flymake-diagnostic-beg d)))
                                   (text . ,(flymake-diagnostic-text d))))
                               found))))))

(let ((json (json-encode (append (sm-lint-test--registered) (sm-lint-test--diagnostics)))))
  (with-temp-file (getenv "SM_LINT_OUT") (insert json)))
(kill-emacs 0)
;;; test-sm-lint.el ends here
