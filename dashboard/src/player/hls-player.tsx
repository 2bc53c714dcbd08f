/**
 * The job's HLS package in media-chrome's controls around hls.js (hls-video-element): the levels,
 * audio tracks and subtitle tracks to pick from, and seek-bar previews from the storyboard (its
 * WebVTT as the `thumbnails` metadata track, the Mux/JW Player convention media-chrome reads).
 */
import 'hls-video-element';
import HlsVideo from 'hls-video-element/react';
import {
  MediaControlBar,
  MediaController,
  MediaFullscreenButton,
  MediaLoadingIndicator,
  MediaMuteButton,
  MediaPlayButton,
  MediaPreviewThumbnail,
  MediaPreviewTimeDisplay,
  MediaTimeDisplay,
  MediaTimeRange,
  MediaVolumeRange,
} from 'media-chrome/react';
import {
  MediaAudioTrackMenu,
  MediaAudioTrackMenuButton,
  MediaCaptionsMenu,
  MediaCaptionsMenuButton,
  MediaRenditionMenu,
  MediaRenditionMenuButton,
} from 'media-chrome/react/menu';
import type { Playback } from '../../../shared/contracts/api.ts';
import { signedQueryConfig } from './signed-urls.ts';

export function HlsPlayer({ playback, title }: { playback: Playback & { hls: string }; title: string }) {
  return (
    <MediaController className="player" aria-label={`Player: ${title}`}>
      <HlsVideo slot="media" src={playback.hls} crossOrigin="anonymous" playsInline poster={playback.poster} config={signedQueryConfig(playback.hls)} data-testid="hls-video">
        {playback.storyboard && <track kind="metadata" label="thumbnails" src={playback.storyboard.vtt} default />}
      </HlsVideo>
      <MediaLoadingIndicator slot="centered-chrome" noAutohide />
      <MediaRenditionMenu hidden anchor="auto" id="rendition-menu" />
      <MediaAudioTrackMenu hidden anchor="auto" id="audio-menu" />
      <MediaCaptionsMenu hidden anchor="auto" id="captions-menu" />
      <MediaControlBar className="seek-row">
        <MediaTimeRange data-testid="seek-bar" aria-label="Seek">
          <MediaPreviewThumbnail slot="preview" data-testid="storyboard-preview" />
          <MediaPreviewTimeDisplay slot="preview" />
        </MediaTimeRange>
      </MediaControlBar>
      <MediaControlBar>
        <MediaPlayButton />
        <MediaMuteButton />
        <MediaVolumeRange />
        <MediaTimeDisplay showDuration />
        <span className="spacer" />
        <MediaCaptionsMenuButton invokeTarget="captions-menu" />
        <MediaAudioTrackMenuButton invokeTarget="audio-menu" />
        <MediaRenditionMenuButton invokeTarget="rendition-menu" data-testid="rendition-button" />
        <MediaFullscreenButton />
      </MediaControlBar>
    </MediaController>
  );
}
