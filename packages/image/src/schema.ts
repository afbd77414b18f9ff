import * as v from 'valibot';
import { isDigest } from './digest.js';
import { ImageError } from './errors.js';

/*
 * Every document this package decodes (manifests, indexes, configs, index.json of a layout,
 * manifest.json of a docker-archive) comes from someone else and is checked against these
 * schemas before any field is used. Objects are "loose": unknown fields are kept, as the specs
 * allow extensions, but every field we read has the type we read it as.
 */

const digest = v.pipe(
  v.string(),
  v.check(isDigest, 'not a sha256:/sha512: digest with lowercase hex'),
);
const size = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const stringMap = v.record(v.string(), v.string());

export const PlatformSchema = v.looseObject({
  architecture: v.string(),
  os: v.string(),
  variant: v.optional(v.string()),
  'os.version': v.optional(v.string()),
  'os.features': v.optional(v.array(v.string())),
});

export const DescriptorSchema = v.looseObject({
  mediaType: v.string(),
  digest,
  size,
  urls: v.optional(v.array(v.string())),
  annotations: v.optional(stringMap),
  platform: v.optional(PlatformSchema),
  artifactType: v.optional(v.string()),
});

/** An OCI image manifest or a Docker schema 2 manifest (the same shape). */
export const ManifestSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  artifactType: v.optional(v.string()),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  subject: v.optional(DescriptorSchema),
  annotations: v.optional(stringMap),
});

/** An OCI image index or a Docker manifest list (the same shape). */
export const IndexSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  artifactType: v.optional(v.string()),
  manifests: v.array(DescriptorSchema),
  subject: v.optional(DescriptorSchema),
  annotations: v.optional(stringMap),
});

const nullableArray = v.optional(v.nullable(v.array(v.string())));
const emptyObjectMap = v.optional(v.nullable(v.record(v.string(), v.unknown())));

/** The runtime part of an image config (`config` in OCI, `config` in docker's). */
export const ContainerConfigSchema = v.looseObject({
  User: v.optional(v.string()),
  ExposedPorts: emptyObjectMap,
  Env: nullableArray,
  Entrypoint: nullableArray,
  Cmd: nullableArray,
  Volumes: emptyObjectMap,
  WorkingDir: v.optional(v.string()),
  Labels: v.optional(v.nullable(stringMap)),
  StopSignal: v.optional(v.string()),
  ArgsEscaped: v.optional(v.boolean()),
  Shell: nullableArray,
});

export const ImageConfigSchema = v.looseObject({
  created: v.optional(v.string()),
  author: v.optional(v.string()),
  architecture: v.string(),
  os: v.string(),
  variant: v.optional(v.string()),
  'os.version': v.optional(v.string()),
  'os.features': v.optional(v.array(v.string())),
  config: v.optional(v.nullable(ContainerConfigSchema)),
  rootfs: v.looseObject({
    type: v.literal('layers'),
    diff_ids: v.array(digest),
  }),
  history: v.optional(
    v.nullable(
      v.array(
        v.looseObject({
          created: v.optional(v.string()),
          author: v.optional(v.string()),
          created_by: v.optional(v.string()),
          comment: v.optional(v.string()),
          empty_layer: v.optional(v.boolean()),
        }),
      ),
    ),
  ),
});

/** One entry of `manifest.json` in a `docker save` / `podman save` archive. */
export const DockerArchiveManifestSchema = v.array(
  v.looseObject({
    Config: v.string(),
    RepoTags: v.optional(v.nullable(v.array(v.string()))),
    Layers: v.array(v.string()),
  }),
);

export const OciLayoutSchema = v.looseObject({ imageLayoutVersion: v.string() });

export type Descriptor = v.InferOutput<typeof DescriptorSchema>;
export type OciManifest = v.InferOutput<typeof ManifestSchema>;
export type OciIndex = v.InferOutput<typeof IndexSchema>;
export type ImageConfig = v.InferOutput<typeof ImageConfigSchema>;
export type ContainerConfig = v.InferOutput<typeof ContainerConfigSchema>;
export type DockerArchiveManifest = v.InferOutput<typeof DockerArchiveManifestSchema>;

/**
 * Decodes JSON bytes and checks them against a schema. Throws ERR_BAD_MANIFEST naming the
 * document and the first offending field.
 */
export function decode<S extends v.GenericSchema>(
  schema: S,
  bytes: Uint8Array | string,
  what: string,
): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ImageError('ERR_BAD_MANIFEST', `${what}: not valid JSON`, { cause: err });
  }
  return validate(schema, json, what);
}

export function validate<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  what: string,
): v.InferOutput<S> {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const at = v.getDotPath(issue);
  throw new ImageError('ERR_BAD_MANIFEST', `${what}: ${at ? `field ${at}: ` : ''}${issue.message}`);
}
