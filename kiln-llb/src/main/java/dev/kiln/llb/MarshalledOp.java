package dev.kiln.llb;

import dev.kiln.core.Digest;
import dev.kiln.llb.pb.OpMetadata;
import java.util.List;

/** An op's bytes and digest, with the metadata and source locations that travel beside it. */
record MarshalledOp(Digest digest, byte[] bytes, OpMetadata metadata, List<SourceLocation> locations) {}
