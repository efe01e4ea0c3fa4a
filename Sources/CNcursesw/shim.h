// What Swift cannot import from <ncursesw/curses.h> directly, as static inline functions.
#ifndef CLERICAL_CNCURSESW_SHIM_H
#define CLERICAL_CNCURSESW_SHIM_H

#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <locale.h>
#include <signal.h>
#include <wchar.h>
#include <langinfo.h>

// Attribute macros are built with NCURSES_BITS: Swift sees none of them.
static inline attr_t clerical_A_NORMAL(void) { return A_NORMAL; }
static inline attr_t clerical_A_BOLD(void) { return A_BOLD; }
static inline attr_t clerical_A_UNDERLINE(void) { return A_UNDERLINE; }
static inline attr_t clerical_A_REVERSE(void) { return A_REVERSE; }
static inline attr_t clerical_A_DIM(void) { return A_DIM; }

// getmaxyx is a macro.
static inline int clerical_lines(WINDOW *w) { return getmaxy(w); }
static inline int clerical_cols(WINDOW *w) { return getmaxx(w); }

// KEY_* codes Swift cannot see as constants of the right type.
static inline int clerical_KEY_RESIZE(void) { return KEY_RESIZE; }
static inline int clerical_KEY_LEFT(void) { return KEY_LEFT; }
static inline int clerical_KEY_RIGHT(void) { return KEY_RIGHT; }
static inline int clerical_KEY_UP(void) { return KEY_UP; }
static inline int clerical_KEY_DOWN(void) { return KEY_DOWN; }
static inline int clerical_KEY_BACKSPACE(void) { return KEY_BACKSPACE; }
static inline int clerical_KEY_ENTER(void) { return KEY_ENTER; }
static inline int clerical_KEY_DC(void) { return KEY_DC; }
static inline int clerical_KEY_CODE_YES(void) { return KEY_CODE_YES; }
static inline int clerical_ERR(void) { return ERR; }

// Colours: the COLORS global is a macro on some builds.
static inline int clerical_colors(void) { return COLORS; }

// Signals: a C handler only sets a flag, which the main loop polls (Swift closures cannot
// safely be signal handlers, and a Dispatch source on the main actor crashes on Ctrl-C).
static volatile sig_atomic_t clerical_signal_received = 0;
static inline void clerical_signal_handler(int signal) { clerical_signal_received = signal; }
static inline void clerical_install_signal_handlers(void) {
    struct sigaction action;
    action.sa_handler = clerical_signal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, 0);
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGHUP, &action, 0);
}
static inline int clerical_take_signal(void) {
    int received = clerical_signal_received;
    clerical_signal_received = 0;
    return received;
}

// The code set of the current locale ("UTF-8" when wide characters will render).
static inline const char *clerical_codeset(void) { return nl_langinfo(CODESET); }
#endif
