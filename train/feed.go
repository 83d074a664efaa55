package train

// batchFeed loads the training loop's batches into a model's inputs, one step ahead when the
// loop asks: the batch of step n+1 is loaded after step n (forward, backward and update) is
// queued and before its loss is waited for.
//
// Why: on a GPU the host's work on a batch (taking it from the producer, the copy into pinned
// memory, interleaving an ensemble's lanes, queuing the upload and the launch of its place
// codes) then runs while the GPU runs step n. Loaded after the loss, it ran while the GPU ran
// only step n's update, which is short (0.22 ms at Ng 4096 on the H100; session 5's profile),
// and what the host had not queued by then left the GPU idle. Session 5 measured the Ng 4096
// step with batches walked on the host 0.07 ms slower than with batches made on the GPU, and
// a 64-lane ensemble 5 % slower.
//
// Step n still trains on its own batch: the next batch reaches the inputs by copies and kernels
// queued on the backend's one stream after step n's work, so they run after it, and on the
// CPU step n has finished when StartStep returns. The loop does not load ahead before a step
// whose evaluation runs the model on a batch of the training shape (which would overwrite the
// loaded batch), nor after the last step. The generator state saved with a checkpoint is the
// one after the last batch trained on, so a resumed run makes the batch that was loaded ahead
// again.
type batchFeed[S any] struct {
	// load takes the next batch (every lane's, for an ensemble), queues it into the inputs,
	// hands the host copies back to their sources and returns the generator state after it,
	// in a value of its own (a later load must not change it).
	load   func() S
	loaded bool // the inputs hold a batch not yet trained on
	state  S    // the generator state after that batch
}

// next makes sure that the inputs hold the batch the next step trains on, loading it unless
// it was loaded ahead, and returns the generator state after it.
func (f *batchFeed[S]) next() S {
	if !f.loaded {
		f.state = f.load()
	}
	f.loaded = false
	return f.state
}

// ahead loads the batch after the one next returned, for the step after the current one.
func (f *batchFeed[S]) ahead() {
	f.state = f.load()
	f.loaded = true
}

// during returns what a step runs between queuing its work and waiting for its loss: ahead
// when the loop loads the next batch during this step, else nil.
func (f *batchFeed[S]) during(ahead bool) func() {
	if ahead {
		return f.ahead
	}
	return nil
}
