/**
 * The container image that the ffmpeg functions run from: one image, built once per deploy
 * from infra/docker/Dockerfile, each function choosing its handler with ImageConfig.Command.
 *
 * Why an image and not a layer: static ffmpeg and ffprobe for arm64 weigh ~150 MB together,
 * and a zip function with its layers must stay under 250 MB unzipped, sharp included; an image
 * may be 10 GB. The Dockerfile pins the ffmpeg build, and the whole toolchain is one artifact.
 */
import { AssetHashType, AssetStaging, DockerImage, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { DockerImageCode } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { dockerDir, stageImageContext } from './bundling.ts';

export const FFMPEG_FUNCTIONS = ['splitter', 'encoder', 'assembler'] as const;
export type FfmpegFunctionName = (typeof FFMPEG_FUNCTIONS)[number];

export class FfmpegImage extends Construct {
  /** The image's build context: staged bundles when this synthesis bundles, the bare Dockerfile's folder otherwise. */
  readonly contextDir: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // A synthesis that skips bundling (the local host, most tests) builds nothing and needs no
    // context: the Dockerfile's folder stands in, so nothing large is fingerprinted.
    if (!Stack.of(this).bundlingRequired) {
      this.contextDir = dockerDir;
      return;
    }
    const staging = new AssetStaging(this, 'BuildContext', {
      sourcePath: dockerDir,
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Required by the type; the local bundler below always succeeds, so no container runs.
        image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:24'),
        local: {
          tryBundle: (outputDir) => {
            stageImageContext(outputDir, FFMPEG_FUNCTIONS);
            return true;
          },
        },
      },
    });
    this.contextDir = staging.absoluteStagedPath;
  }

  /** The function's code: this image, running `<name>.handler`. Every call shares one image asset. */
  codeFor(name: FfmpegFunctionName): DockerImageCode {
    return DockerImageCode.fromImageAsset(this.contextDir, { platform: Platform.LINUX_ARM64, cmd: [`${name}.handler`] });
  }
}
