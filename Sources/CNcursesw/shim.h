#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1   /* else Swift sees no wget_wch, cchar_t, setcchar */
#include <wchar.h>
#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <ncursesw/curses.h>
int wcwidth(wchar_t c);      /* Glibc's Swift module hides it */
static inline int CNcursesw_wcwidth(unsigned c) { return wcwidth((wchar_t)c); }
static inline WINDOW *CNcursesw_stdscr(void) { return stdscr; }  /* Swift 6 rejects the global */
static inline int CNcursesw_LINES(void) { return LINES; }
static inline int CNcursesw_COLS(void) { return COLS; }
static inline int CNcursesw_COLORS(void) { return COLORS; }
static inline int CNcursesw_COLOR_PAIRS(void) { return COLOR_PAIRS; }
/* nl_langinfo(CODESET): CODESET is an enum constant Swift may not see through Glibc. */
static inline const char *CNcursesw_codeset(void) { return nl_langinfo(CODESET); }
/* newterm on the process's stdout/stdin (Swift 6 rejects the stdout/stdin globals); NULL on failure,
   unlike initscr, which exits the process. */
static inline SCREEN *CNcursesw_newterm_stdio(void) { return newterm(NULL, stdout, stdin); }
/* ioctl is variadic, which Swift cannot call: the terminal size of fd without curses; -1 when not a tty. */
static inline int CNcursesw_winsize(int fd, int *cols, int *rows) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
  *cols = ws.ws_col; *rows = ws.ws_row; return 0;
}
/* memfd_create needs _GNU_SOURCE to be declared; the raw syscall does not. -1 on failure. */
static inline int CNcursesw_memfd(const char *name) {
#ifdef SYS_memfd_create
  return (int)syscall(SYS_memfd_create, name, 0);
#else
  (void)name; return -1;
#endif
}
static inline int CNcursesw_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int CNcursesw_getmaxy(WINDOW *w) { return getmaxy(w); }
static const int CNcursesw_OK = OK, CNcursesw_ERR = ERR;
static const attr_t CNcursesw_A_NORMAL = A_NORMAL, CNcursesw_A_BOLD = A_BOLD, CNcursesw_A_REVERSE = A_REVERSE,
                    CNcursesw_A_UNDERLINE = A_UNDERLINE, CNcursesw_A_DIM = A_DIM;
static const int CNcursesw_KEY_RESIZE = KEY_RESIZE, CNcursesw_KEY_UP = KEY_UP, CNcursesw_KEY_DOWN = KEY_DOWN,
                 CNcursesw_KEY_LEFT = KEY_LEFT, CNcursesw_KEY_RIGHT = KEY_RIGHT, CNcursesw_KEY_NPAGE = KEY_NPAGE,
                 CNcursesw_KEY_PPAGE = KEY_PPAGE, CNcursesw_KEY_HOME = KEY_HOME, CNcursesw_KEY_END = KEY_END,
                 CNcursesw_KEY_BACKSPACE = KEY_BACKSPACE, CNcursesw_KEY_ENTER = KEY_ENTER,
                 CNcursesw_KEY_F1 = KEY_F(1), CNcursesw_KEY_F0 = KEY_F0, CNcursesw_KEY_BTAB = KEY_BTAB,
                 CNcursesw_KEY_DC = KEY_DC, CNcursesw_KEY_CODE_YES = KEY_CODE_YES;
#endif
