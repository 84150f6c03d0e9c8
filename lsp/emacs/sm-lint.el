;;; sm-lint.el --- sm-lint with eglot -*- lexical-binding: t; -*-
;; Add to your init file. eglot runs one server per major mode, so sm-lint is
;; registered for python-mode here; use a multiplexer such as rassumfrassum or
;; lspx to run it next to another Python server.
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '((python-mode python-ts-mode) . ("sm-lint" "server" :initializationOptions
                                                  (:models ["models"])))))
(add-hook 'python-mode-hook #'eglot-ensure)
;;; sm-lint.el ends here
