package pgserver

// Reaper runs a cleanup script once this process is gone, however it
// ended, unless dismissed: the detached shell behind the local and docker
// providers' cleanup, for other packages that start processes (peers).
type Reaper struct{ r *reaper }

// StartReaper starts a reaper of the sh script cleanup, as this user; it
// fails on Windows, which has no sh.
func StartReaper(cleanup string) (*Reaper, error) {
	r, err := startReaper(cleanup, nil)
	if err != nil {
		return nil, err
	}
	return &Reaper{r: r}, nil
}

// Dismiss tells the reaper that it is not needed and waits for it to exit.
func (r *Reaper) Dismiss() {
	if r != nil {
		r.r.dismiss()
	}
}
