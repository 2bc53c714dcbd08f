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
import { useEffect, useState } from 'react';
import type { Playback } from '../../../shared/contracts/api.ts';
import { isSigned, signedQueryConfig, signedStoryboardVtt } from './signed-urls.ts';

export function HlsPlayer({ playback, title }: { playback: Playback & { hls: string }; title: string }) {
  const storyboard = useStoryboardTrack(playback.storyboard?.vtt);
  return (
    <MediaController className="player" aria-label={`Player: ${title}`}>
      <HlsVideo slot="media" src={playback.hls} crossOrigin="anonymous" playsInline poster={playback.poster} config={signedQueryConfig(playback.hls)} data-testid="hls-video">
        {storyboard && <track kind="metadata" label="thumbnails" src={storyboard} default />}
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

/**
 * The storyboard track's source. Signed playback: a copy of the WebVTT whose sprite URLs carry
 * the signature (relative ones would lose it, and CloudFront would refuse them); none until read.
 */
function useStoryboardTrack(vtt: string | undefined): string | undefined {
  const signed = vtt !== undefined && isSigned(vtt);
  const [copy, setCopy] = useState<string | undefined>();
  useEffect(() => {
    if (vtt === undefined || !signed) return;
    const stopped = new AbortController();
    let objectUrl: string | undefined;
    fetch(vtt, { signal: stopped.signal })
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`storyboard: ${response.status}`))))
      .then((text) => {
        objectUrl = URL.createObjectURL(new Blob([signedStoryboardVtt(text, vtt)!], { type: 'text/vtt' }));
        setCopy(objectUrl);
      })
      // No previews then; the video still plays.
      .catch(() => undefined);
    return () => {
      stopped.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [vtt, signed]);
  return signed ? copy : vtt;
}
